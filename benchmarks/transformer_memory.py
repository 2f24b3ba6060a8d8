"""Peak memory of the sequence transformers on ragged input.

A list of sequences of very different lengths is the case where padding
costs most: padded to the longest sequence, 10 to 500 steps take about twice
the memory of the data, and float64 arithmetic doubles that again. This
script builds such a list (float32, 4 features), then measures, with
``tracemalloc`` (NumPy reports its buffers to it), the peak memory that each
transformer call allocates on top of its input, and prints it next to the
size of the data. The output of ``transform`` is part of the peak: it is
memory the call needs.

Side by side, the same statistics and scaling computed the way
``SequenceScaler`` did before it worked per sequence (pad, select the valid
steps, compute in float64) give the reference peak; the script checks that
both give the same result.

Usage::

    python benchmarks/transformer_memory.py [--n-sequences 20000]
"""

import argparse
import gc
import time
import tracemalloc

import numpy as np

from sklstm._data import pad_sequences
from sklstm.preprocessing import PerTimestepTransformer, SequencePadder, SequenceScaler

MIB = 2**20


def ragged(n, low=10, high=500, n_features=4, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(low, high + 1, size=n)
    return [rng.standard_normal((t, n_features), dtype=np.float32) for t in lengths]


def peak(call):
    """(result, peak MiB allocated by ``call`` above what was live before)."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    top = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, (top - base) / MIB, seconds


def padded_float64_scaler(X):
    """The route SequenceScaler took before: pad, mask, float64 arithmetic."""
    values, lengths = pad_sequences(X)
    mask = np.arange(values.shape[1])[None, :] < lengths[:, None]
    rows = values[mask].astype(np.float64)
    mean, var = rows.mean(axis=0), rows.var(axis=0)
    del rows
    scale = np.sqrt(var)
    out = ((values - mean) / scale).astype(np.float32)
    return mean, var, [seq[:n].copy() for seq, n in zip(out, lengths)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sequences", type=int, default=20000)
    args = parser.parse_args()
    X = ragged(args.n_sequences)
    data = sum(x.nbytes for x in X) / MIB
    longest = max(len(x) for x in X)
    print(f"{len(X)} float32 sequences of 10-500 steps x 4 features: "
          f"{data:.1f} MiB of data ({len(X) * longest * 4 * 4 / MIB:.1f} MiB "
          "padded)")

    (ref_mean, ref_var, ref_out), ref_peak, _ = peak(lambda: padded_float64_scaler(X))
    scaler = SequenceScaler()
    rows = [("reference: pad + float64, fit and transform", ref_peak)]
    _, fit_peak, _ = peak(lambda: scaler.fit(X))
    out, tr_peak, _ = peak(lambda: scaler.transform(X))
    rows += [("SequenceScaler.fit", fit_peak), ("SequenceScaler.transform", tr_peak)]
    _, inv_peak, _ = peak(lambda: scaler.inverse_transform(out))
    rows.append(("SequenceScaler.inverse_transform", inv_peak))
    mm = SequenceScaler(method="minmax")
    _, mm_peak, _ = peak(lambda: mm.fit_transform(X))
    rows.append(("SequenceScaler(method='minmax').fit_transform", mm_peak))
    step = PerTimestepTransformer()
    _, pt_fit, _ = peak(lambda: step.fit(X))
    _, pt_tr, _ = peak(lambda: step.transform(X))
    rows += [("PerTimestepTransformer.fit (StandardScaler)", pt_fit),
             ("PerTimestepTransformer.transform", pt_tr)]
    padder = SequencePadder(padding="post")
    padded, pad_peak, _ = peak(lambda: padder.fit_transform(X))
    rows.append((f"SequencePadder.fit_transform (output {padded.nbytes / MIB:.0f} MiB)",
                 pad_peak))

    same = (np.allclose(scaler.mean_, ref_mean, rtol=1e-12, atol=0)
            and np.allclose(scaler.var_, ref_var, rtol=1e-12, atol=0)
            and all(np.allclose(a, b, rtol=1e-6, atol=1e-6) for a, b in zip(out, ref_out)))
    print()
    print("| call | peak above the input | ratio to the data |")
    print("|---|---|---|")
    for name, mib in rows:
        print(f"| {name} | {mib:.0f} MiB | {mib / data:.2f} |")
    print()
    print(f"SequenceScaler equals the reference route (mean and variance within "
          f"1e-12 relative, output within float32 rounding): {same}")


if __name__ == "__main__":
    main()
