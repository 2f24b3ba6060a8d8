"""How much a cross-validated score moves with the initial weights alone.

One configuration, one set of folds, the full budget: only the estimator's
``random_state`` changes. The spread shows how much of a search's "best CV
score" is the luck of one training run, which matters when two searchers are
compared by the maximum of their candidates' scores (see
``search_quality.py`` and ``multi_fidelity.py``).

Usage::

    python benchmarks/seed_noise.py [--seeds 20] [--epochs 54] [--data train|pooled]
"""

import argparse
import warnings

import numpy as np
import torch
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier
from sklstm.preprocessing import SequenceScaler

from datasplits import CHOICES, HELP, describe, load_search_data

CONFIGURATIONS = [
    dict(hidden_size=32, num_layers=1, dropout=0.1, lr=0.01, optimizer="adam"),
    dict(hidden_size=16, num_layers=2, dropout=0.2, lr=0.005, optimizer="rmsprop"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=54)
    parser.add_argument("--data", choices=CHOICES, default="train", help=HELP)
    args = parser.parse_args()
    torch.set_num_threads(1)
    X, y = load_search_data(args.data)[:2]
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    print(f"{describe(args.data, X)}, 3-fold CV, {args.epochs} epochs, "
          f"random_state 0..{args.seeds - 1}")
    for config in CONFIGURATIONS:
        scores = []
        for seed in range(args.seeds):
            est = make_pipeline(
                SequenceScaler(),
                LSTMClassifier(max_epochs=args.epochs, batch_size=16,
                               random_state=seed, **config),
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                scores.append(cross_val_score(est, X, y, cv=cv).mean())
        scores = np.sort(scores)
        print(f"\n{config}")
        print(f"  min {scores.min():.4f}  median {np.median(scores):.4f}  "
              f"max {scores.max():.4f}  std {scores.std():.4f}")
        print("  sorted:", " ".join(f"{s:.4f}" for s in scores))


if __name__ == "__main__":
    main()
