"""Time per epoch of a patched LSTM against the plain one on 150-step series.

Both estimators have the same hidden size and train on the same data
(GunPoint's training split, 50 series of 150 steps, in the default pipeline
with ``SequenceScaler``, no convolutional branch, last-step pooling); only
``patch_size`` differs. Fits are alternated
(plain, patched, plain, ...) so that machine noise hits both sides; the
figure is the median epoch duration (skorch's history, so set-up is not
counted) over all fits of each, and their ratio. A row with the
convolutional branch shows what it adds.

Usage::

    python benchmarks/patch_speed.py [--repeats 5] [--epochs 20] [--hidden 64] [--threads 1]
        [--batch-size 16]
"""

import argparse
import statistics

import torch

from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier
from sklstm.datasets import load_gunpoint
from sklstm.preprocessing import SequenceScaler


def per_epoch(X, y, epochs, **params):
    """Median epoch duration of one fit, from skorch's history (no set-up)."""
    model = make_pipeline(SequenceScaler(), LSTMClassifier(
        max_epochs=epochs, random_state=0, device="cpu", **params))
    model.fit(X, y)
    return statistics.median(model[-1].net_.history[:, "dur"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    X, y = load_gunpoint(split="train")
    plain = dict(conv_filters=0, pooling="last")
    variants = {
        "plain (patch_size=1)": dict(plain, patch_size=1),
        "patch_size=8": dict(plain, patch_size=8),
        "patch_size='auto' (5)": dict(plain, patch_size="auto"),
        "the defaults (auto + conv 64 + attention)": dict(),
    }
    times = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, params in variants.items():
            times[name].append(per_epoch(X, y, args.epochs, hidden_size=args.hidden,
                                         batch_size=args.batch_size, **params))
    base = statistics.median(times["plain (patch_size=1)"])
    print(f"GunPoint train {X.shape}, hidden {args.hidden}, batch {args.batch_size}, {args.epochs} "
          f"epochs, {args.threads} torch thread(s), median of {args.repeats}")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:38s} {1000 * med:8.1f} ms/epoch   plain / this = {base / med:5.1f}x")


if __name__ == "__main__":
    main()
