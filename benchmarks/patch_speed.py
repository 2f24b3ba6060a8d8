"""Time per epoch of a patched LSTM against the plain one on 150-step series.

Both estimators have the same hidden size and train on the same data
(GunPoint's training split, 50 series of 150 steps, in the default pipeline
with ``SequenceScaler``); only ``patch_size`` differs. Fits are alternated
(plain, patched, plain, ...) so that machine noise hits both sides; the
figure is the median per-epoch time of each, and their ratio. A row with the
convolutional branch shows what it adds.

Usage::

    python benchmarks/patch_speed.py [--repeats 5] [--epochs 20] [--hidden 64]
"""

import argparse
import statistics
import time

from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier
from sklstm.datasets import load_gunpoint
from sklstm.preprocessing import SequenceScaler


def per_epoch(X, y, epochs, **params):
    model = make_pipeline(SequenceScaler(), LSTMClassifier(
        max_epochs=epochs, random_state=0, device="cpu", **params))
    start = time.perf_counter()
    model.fit(X, y)
    return (time.perf_counter() - start) / epochs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--hidden", type=int, default=64)
    args = parser.parse_args()
    X, y = load_gunpoint(split="train")
    variants = {
        "plain (patch_size=1)": dict(patch_size=1),
        "patch_size=8": dict(patch_size=8),
        "patch_size='auto' (5)": dict(patch_size="auto"),
        "patch_size='auto', conv_filters=64": dict(patch_size="auto", conv_filters=64),
    }
    times = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, params in variants.items():
            times[name].append(per_epoch(X, y, args.epochs, hidden_size=args.hidden, **params))
    base = statistics.median(times["plain (patch_size=1)"])
    print(f"GunPoint train {X.shape}, hidden {args.hidden}, {args.epochs} epochs, "
          f"median of {args.repeats}")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:38s} {1000 * med:8.1f} ms/epoch   plain / this = {base / med:5.1f}x")


if __name__ == "__main__":
    main()
