"""Torch threads for one fit: one thread against torch's default, idle and busy.

For several sizes of work on GunPoint's training split (50 series of 150
steps, in the default pipeline with ``SequenceScaler``), the median epoch
duration (skorch's history, so set-up is not counted) of a fit with one
torch thread and of a fit with torch's default thread count, alternated so
that machine noise hits both sides; then the same while ``--busy`` other
processes keep the cores busy (pure Python loops, as other work on a shared
machine would). Prints each time and the ratio default / one thread (above
1: one thread is faster). The estimators' ``n_threads="auto"`` rule is
read off this table (see docs/benchmarks.md).

Usage::

    python benchmarks/threads.py [--repeats 3] [--epochs 4] [--busy 2]
"""

import argparse
import multiprocessing
import os
import statistics
import time

import torch
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier
from sklstm.datasets import load_gunpoint
from sklstm.preprocessing import SequenceScaler

#: sizes of work, from the defaults up
CASES = {
    "defaults (hidden 64, conv 64, batch 16)": dict(),
    "hidden 128, batch 16": dict(hidden_size=128),
    "hidden 128, conv 128, batch 64": dict(hidden_size=128, conv_filters=128, batch_size=64),
    "hidden 256, conv 128, batch 128": dict(hidden_size=256, conv_filters=128,
                                            batch_size=128),
    "plain LSTM, 150 steps, hidden 64, batch 50": dict(patch_size=1, conv_filters=0,
                                                       pooling="last", batch_size=50),
    "plain LSTM, 150 steps, hidden 256, batch 50": dict(patch_size=1, conv_filters=0,
                                                        pooling="last", hidden_size=256,
                                                        batch_size=50),
}


def per_epoch(X, y, epochs, threads, params):
    """Median epoch duration of one fit with ``threads`` torch threads."""
    torch.set_num_threads(threads)
    model = make_pipeline(SequenceScaler(), LSTMClassifier(
        max_epochs=epochs, random_state=0, device="cpu", n_threads=None, **params))
    model.fit(X, y)
    return statistics.median(model[-1].net_.history[:, "dur"])


def _spin(stop):
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def measure(X, y, args, default_threads):
    rows = {}
    for name, params in CASES.items():
        one, many = [], []
        for _ in range(args.repeats):
            one.append(per_epoch(X, y, args.epochs, 1, params))
            many.append(per_epoch(X, y, args.epochs, default_threads, params))
        rows[name] = (statistics.median(one), statistics.median(many))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 2,
                        help="busy processes during the second part")
    args = parser.parse_args()
    default_threads = torch.get_num_threads()
    X, y = load_gunpoint(split="train")
    print(f"{os.cpu_count()} cores, torch default threads {default_threads}, "
          f"{args.epochs} epochs x {args.repeats} fits per cell")
    idle = measure(X, y, args, default_threads)
    stop = multiprocessing.Event()
    spinners = [multiprocessing.Process(target=_spin, args=(stop,), daemon=True)
                for _ in range(args.busy)]
    for p in spinners:
        p.start()
    time.sleep(1.0)
    try:
        busy = measure(X, y, args, default_threads)
    finally:
        stop.set()
        for p in spinners:
            p.join()
    print(f"\n{'case':46s}{'idle 1':>9s}{'idle dflt':>10s}{'ratio':>7s}"
          f"{'busy 1':>9s}{'busy dflt':>10s}{'ratio':>7s}   (ms per epoch)")
    for name in CASES:
        (i1, im), (b1, bm) = idle[name], busy[name]
        print(f"{name:46s}{i1 * 1e3:9.1f}{im * 1e3:10.1f}{im / i1:7.2f}"
              f"{b1 * 1e3:9.1f}{bm * 1e3:10.1f}{bm / b1:7.2f}")


if __name__ == "__main__":
    main()
