"""The thread cliff: one small fit, idle and while other training runs.

The case of the speed issue: ``make_pipeline(SequenceScaler(),
LSTMClassifier(hidden_size=32, max_epochs=3))`` on 64 random series of 150
steps. Each fit is timed whole (what a user waits for), for the estimator's
``n_threads="auto"`` and for torch's own setting (``n_threads=None``), fits
alternated: ``--fits`` of each on the idle machine, then as many while
``--busy`` other processes train an LSTM of their own with torch's default
threads (other people's training on a shared machine). Printed: the median
and the worst busy fit over the idle median of the same setting, and the
idle medians of both settings side by side.

A second table (``--large``) does the same for a net where two threads
help on an idle machine (hidden 256, batch 128, 150 steps, no patches):
``"auto"`` must not lose there.

``--compare-results`` instead fits the default pipeline and two variants
with one and with two threads, same ``random_state``, and says whether the
results are identical.

Usage::

    python benchmarks/thread_cliff.py [--fits 7] [--busy 2] [--large]
    python benchmarks/thread_cliff.py --compare-results
"""

import argparse
import multiprocessing
import os
import statistics
import time

import numpy as np
import torch
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier
from sklstm.preprocessing import SequenceScaler

SMALL = dict(hidden_size=32, max_epochs=3)
LARGE = dict(hidden_size=256, batch_size=128, patch_size=1, conv_filters=0,
             pooling="last", max_epochs=2)


def data(n=64, steps=150, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, steps, 1)).astype(np.float32)
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    return X, y


def fit_seconds(X, y, params, n_threads):
    model = make_pipeline(SequenceScaler(), LSTMClassifier(
        random_state=0, device="cpu", n_threads=n_threads, **params))
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def _train_forever(stop):
    """Another user's training: a plain LSTM, torch's default threads."""
    torch.manual_seed(1)
    net = torch.nn.LSTM(8, 64, batch_first=True)
    opt = torch.optim.Adam(net.parameters())
    x = torch.randn(32, 100, 8)
    while not stop.is_set():
        opt.zero_grad()
        net(x)[0].sum().backward()
        opt.step()


def measure(X, y, params, fits):
    times = {"auto": [], "torch": []}
    for i in range(fits):
        order = ("auto", "torch") if i % 2 == 0 else ("torch", "auto")
        for name in order:
            times[name].append(fit_seconds(X, y, params, "auto" if name == "auto" else None))
    return times


def compare_results():
    """Do one and two torch threads give the same fit? (same random_state)"""
    from sklstm.datasets import load_gunpoint, load_japanese_vowels

    sets = {"GunPoint": load_gunpoint(split="train"),
            "JapaneseVowels": load_japanese_vowels(split="train")}
    variants = {"defaults": {},
                "plain LSTM": dict(patch_size=1, conv_filters=0, pooling="last"),
                "hidden 256, batch 64": dict(hidden_size=256, batch_size=64)}
    for name, (X, y) in sets.items():
        for label, params in variants.items():
            fits = [make_pipeline(SequenceScaler(), LSTMClassifier(
                max_epochs=3, random_state=0, n_threads=n, **params)).fit(X, y)
                for n in (1, 2)]
            p1, p2 = (f.predict_proba(X) for f in fits)
            same_loss = np.array_equal(fits[0][-1].loss_curve_, fits[1][-1].loss_curve_)
            print(f"{name:15s} {label:22s} probabilities identical: "
                  f"{np.array_equal(p1, p2)!s:5s} max difference {np.abs(p1 - p2).max():.1e}"
                  f"  loss curves identical: {same_loss}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=7)
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--large", action="store_true",
                        help="also the large net where two threads help")
    parser.add_argument("--compare-results", action="store_true",
                        help="only check whether 1 and 2 threads give identical fits")
    args = parser.parse_args()
    if args.compare_results:
        compare_results()
        return
    X, y = data()
    cases = {"small (hidden 32, 150 steps, 64 series, 3 epochs)": SMALL}
    if args.large:
        cases["large (hidden 256, batch 128, 150 steps, plain, 2 epochs)"] = LARGE
    print(f"{os.cpu_count()} cores, torch threads {torch.get_num_threads()}, "
          f"{args.fits} fits per setting, {args.busy} busy training processes")
    fit_seconds(X, y, SMALL, None)  # warm-up
    idle = {name: measure(X, y, params, args.fits) for name, params in cases.items()}
    # spawned, not forked: a child forked after torch started its OpenMP
    # threads hangs in its first parallel region
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    others = [ctx.Process(target=_train_forever, args=(stop,), daemon=True)
              for _ in range(args.busy)]
    for p in others:
        p.start()
    time.sleep(5.0)  # let them import torch and start training
    try:
        busy = {name: measure(X, y, params, args.fits) for name, params in cases.items()}
    finally:
        stop.set()
        for p in others:
            p.join()
    for name in cases:
        print(f"\n{name}")
        print(f"  {'setting':8s}{'idle median':>12s}{'busy median':>12s}"
              f"{'median/idle':>12s}{'worst/idle':>11s}")
        for setting in ("auto", "torch"):
            i = statistics.median(idle[name][setting])
            b = busy[name][setting]
            print(f"  {setting:8s}{i:11.3f}s{statistics.median(b):11.3f}s"
                  f"{statistics.median(b) / i:12.2f}{max(b) / i:11.2f}")
        ratio = (statistics.median(idle[name]["auto"])
                 / statistics.median(idle[name]["torch"]))
        print(f"  idle: auto / torch's setting = {ratio:.3f}")


if __name__ == "__main__":
    main()
