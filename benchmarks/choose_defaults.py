"""Choose the estimator's defaults by cross-validation on the training splits.

Every shipped classification set (GunPoint, ItalyPowerDemand, BasicMotions,
PickupGestureWiimoteZ, JapaneseVowels) is used through its *training* split
only: each configuration is scored by stratified 3-fold cross-validation,
repeated for several weight seeds, inside the pipeline a new user writes,
``make_pipeline(SequenceScaler(), LSTMClassifier(...))``. No test split is
read. The rule: the configuration with the highest mean CV accuracy over
the five sets wins; the per-set means and the seed spread are printed so
that a difference can be judged against the noise.

Usage::

    python benchmarks/choose_defaults.py --stage 1 [--seeds 2] [--json F]
    python benchmarks/choose_defaults.py --load F      # print a saved run

The runs behind the defaults are saved in ``benchmarks/results/``.
"""

import argparse
import json
import time
import warnings

import numpy as np
import torch
from joblib import Parallel, delayed
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier
from sklstm.preprocessing import SequenceScaler

from realdata import DATASETS, load

# stage 1's winner (mean CV accuracy 0.871 over the five sets, 2 seeds)
BEST_1 = dict(conv_filters=64, patch_size="auto", pooling="attention")

# candidate defaults, by stage; each dict is passed to LSTMClassifier
STAGES = {
    # the three architecture levers, each on and off
    "1": [
        dict(),
        dict(pooling="attention"),
        dict(patch_size="auto"),
        dict(patch_size="auto", pooling="attention"),
        dict(conv_filters=64),
        dict(conv_filters=64, pooling="attention"),
        dict(conv_filters=64, patch_size="auto"),
        dict(conv_filters=64, patch_size="auto", pooling="attention"),
    ],
    # around stage 1's winner: learning rate, batch, widths, dropout, cell
    "2": [
        dict(BEST_1),
        dict(BEST_1, lr=3e-3),
        dict(BEST_1, batch_size=16),
        dict(BEST_1, conv_filters=32),
        dict(BEST_1, conv_filters=128),
        dict(BEST_1, hidden_size=32),
        dict(BEST_1, hidden_size=128),
        dict(BEST_1, dropout=0.2),
        dict(BEST_1, max_epochs=200),
        dict(BEST_1, cell="gru"),
    ],
    # training batches of near-equal size (an experiment, not adopted: it
    # lowered the mean) against full batches and a remainder, as the
    # estimators cut them; stage 2's batch_size=16 row is the latter, with
    # the same seeds and folds, and "3u" reruns it
    "3": [dict(even_batches=True)],
    "3u": [dict()],
    # a learning rate that decays to zero over the run (cosine), which
    # should leave the final weights less at the mercy of the last batches,
    # at the default peak rate and at a higher one; against the defaults
    # chosen by stages 1-2, run beside them with the same seeds and folds
    # (the saved rows were run before its winner became the default, when
    # ``{}`` meant lr=1e-3 without a schedule)
    "4": [dict(lr=1e-3, lr_schedule=None), dict(lr=1e-3, lr_schedule="cosine"),
          dict(lr=3e-3, lr_schedule="cosine")],
}


def _even_batches(self):
    """Training batches of near-equal size (67 samples in batches of 16: five
    of 13 or 14, instead of four of 16 and one of 3); the stage-3 experiment."""
    n, bs = len(self.dataset), self.batch_size
    if not self.shuffle:  # prediction: plain slices either way
        return [np.arange(i, min(i + bs, n)) for i in range(0, n, bs)]

    def split(order):
        k = -(-len(order) // bs)
        bounds = (np.arange(k + 1) * len(order)) // k
        return [order[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    order = self.rng.permutation(n)
    if not self.dataset.ragged:
        return split(order)
    lengths = self.dataset.lengths.numpy()
    window = bs * self.bucket_batches
    batches = []
    for start in range(0, n, window):
        chunk = order[start:start + window]
        batches.extend(split(chunk[np.argsort(lengths[chunk], kind="stable")]))
    return [batches[i] for i in self.rng.permutation(len(batches))]


#: the defaults each stage was run against, where they differ from today's
#: (stages 1-3 ran before stage 4 moved the learning rate and its schedule)
STAGE_BASE = {stage: dict(lr=1e-3, lr_schedule=None) for stage in ("1", "2", "3", "3u")}


def _score(name, config, seed, base=None):
    torch.set_num_threads(1)
    label = repr(config)
    config = {**(base or {}), **config}
    from sklstm import _training

    # workers run many tasks: set the batching of this one either way
    # the worker's own original, kept before any task patches the class (a
    # reference pickled from the parent would resolve to the patched one)
    original = _training.__dict__.setdefault("_plain_batches", _training.BatchIterator._batches)
    _training.BatchIterator._batches = (
        _even_batches if config.pop("even_batches", False) else original
    )
    X, y = load(name, "train")
    cv = StratifiedKFold(3, shuffle=True, random_state=seed)
    est = make_pipeline(SequenceScaler(), LSTMClassifier(random_state=seed, **config))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = cross_val_score(est, X, y, cv=cv).mean()
    return name, label, seed, float(score), time.perf_counter() - start


def report(rows):
    configs = list(dict.fromkeys(r[1] for r in rows))
    names = [n for n in DATASETS if any(r[0] == n for r in rows)]
    print(f"{'':4s}" + "".join(f"{n[:10]:>11s}" for n in names)
          + f"{'mean':>8s}{'fit s':>8s}")
    summary = []
    for c in configs:
        per_set, spreads, secs = [], [], 0.0
        for n in names:
            scores = [r[3] for r in rows if r[0] == n and r[1] == c]
            per_set.append(np.mean(scores))
            spreads.append(np.std(scores))
            secs += sum(r[4] for r in rows if r[0] == n and r[1] == c)
        summary.append((np.mean(per_set), c))
        print(c)
        print(f"{'':4s}" + "".join(f"{m:11.3f}" for m in per_set)
              + f"{np.mean(per_set):8.3f}{secs:8.0f}")
        print(f"{'std':4s}" + "".join(f"{s:11.3f}" for s in spreads) + "   (over seeds)")
    best = max(summary)
    print(f"\nhighest mean CV accuracy: {best[1]} ({best[0]:.3f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=sorted(STAGES), default="1")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--json", help="save the rows to this file")
    parser.add_argument("--load", help="print the rows saved in this file")
    args = parser.parse_args()
    if args.load:
        with open(args.load) as f:
            report(json.load(f))
        return
    base = STAGE_BASE.get(args.stage)
    tasks = [(n, c, s, base) for c in STAGES[args.stage] for n in DATASETS
             for s in range(args.seeds)]
    rows = Parallel(n_jobs=args.n_jobs, verbose=5)(delayed(_score)(*t) for t in tasks)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f)
    report(rows)


if __name__ == "__main__":
    main()
