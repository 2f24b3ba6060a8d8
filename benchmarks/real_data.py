"""Accuracy on the shipped classification sets: untuned default and both searchers.

For every shipped classification set, on its standard train/test split:

* the default pipeline a new user writes,
  ``make_pipeline(SequenceScaler(), LSTMClassifier(random_state=seed))``,
  fitted on the training split;
* ``BayesSearchCV(pipe, n_jobs=2, random_state=seed)`` and
  ``GeneticSearchCV(pipe, n_jobs=2, random_state=seed)`` at their default
  budget and default space (cross-validation on the training split only),
  then refitted;

each scored once on the test split, for several seeds, with one torch
thread per fit (searches run two fits at a time). The published test
accuracies of 1-NN DTW, FCN, ResNet and ROCKET are printed beside them (see
``PUBLISHED`` for the sources). Wall time of every search is printed.

Usage::

    python benchmarks/real_data.py [--seeds 3] [--sets GunPoint,...]
        [--methods default,bayes,genetic] [--json F]
    python benchmarks/real_data.py --load F [--load G ...]   # print saved runs
"""

import argparse
import json
import time
import warnings

import numpy as np
import torch
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier
from sklstm.preprocessing import SequenceScaler
from sklstm.search import BayesSearchCV, GeneticSearchCV

from realdata import DATASETS, load

#: published test accuracies on the standard split; None where none was found.
#: DTW: 1-NN DTW, full window for univariate sets (UCR archive 2018 summary,
#: Dau et al. 2018, "The UCR time series archive"), dependent DTW_D for the
#: multivariate sets (BasicMotions: Ruiz et al. 2021, "The great multivariate
#: time series classification bake off", fold 0 = the standard split;
#: JapaneseVowels: Bagnall et al. 2018, "The UEA multivariate time series
#: classification archive, 2018", as reproduced in a later paper's table).
#: FCN and ResNet: Ismail Fawaz et al. 2019, "Deep learning for time series
#: classification: a review" (mean of 10 runs; PickupGestureWiimoteZ from the
#: same authors' published results on the 128 UCR sets, mean of 5 runs;
#: JapaneseVowels from the review's multivariate part); BasicMotions ResNet
#: from Ruiz et al. 2021; no FCN figure was found for BasicMotions.
#: ROCKET: Dempster et al. 2020, "ROCKET: exceptionally fast and accurate time
#: series classification using random convolutional kernels" (mean of 10
#: runs); BasicMotions from Ruiz et al. 2021; JapaneseVowels from the same
#: later paper's table as its DTW_D (no primary source found).
PUBLISHED = {
    "GunPoint": {"DTW": 0.907, "FCN": 1.000, "ResNet": 0.991, "ROCKET": 1.000},
    "ItalyPowerDemand": {"DTW": 0.950, "FCN": 0.961, "ResNet": 0.963, "ROCKET": 0.970},
    "BasicMotions": {"DTW": 0.975, "FCN": None, "ResNet": 1.000, "ROCKET": 1.000},
    "PickupGestureWiimoteZ": {"DTW": 0.660, "FCN": 0.744, "ResNet": 0.704,
                              "ROCKET": 0.830},
    "JapaneseVowels": {"DTW": 0.949, "FCN": 0.993, "ResNet": 0.992, "ROCKET": 0.965},
}
METHODS = ("default", "bayes", "genetic")


def pipeline(seed):
    return make_pipeline(SequenceScaler(), LSTMClassifier(random_state=seed))


def run_one(name, method, seed, n_jobs=2):
    """Test accuracy and wall time of one method on one set."""
    X, y = load(name, "train")
    X_test, y_test = load(name, "test")
    start = time.perf_counter()
    info = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "default":
            model = pipeline(seed).fit(X, y)
        else:
            cls = BayesSearchCV if method == "bayes" else GeneticSearchCV
            model = cls(pipeline(seed), n_jobs=n_jobs, random_state=seed).fit(X, y)
            info = {"best_cv": float(model.best_score_),
                    "n_candidates": len(model.cv_results_["params"]),
                    "kept_estimator": bool(model.kept_estimator_),
                    "best_params": {k.split("__")[-1]: v
                                    for k, v in model.best_params_.items()}}
        seconds = time.perf_counter() - start
        accuracy = float(model.score(X_test, y_test))
        if method != "default":
            info.update(_unguarded(model, seed, X, y, X_test, y_test, accuracy))
    return dict(set=name, method=method, seed=seed, accuracy=accuracy,
                seconds=seconds, **info)


def _unguarded(search, seed, X, y, X_test, y_test, accuracy):
    """What the search would have refitted with ``prefer_estimator=False``
    (the best re-scored mean) and that refit's test accuracy (untimed; for
    the report only, nothing is chosen by it)."""
    res = search.cv_results_
    column = np.asarray(res.get("rescored_mean_test_score", []), dtype=float)
    if not column.size or np.isnan(column).all():
        return {}
    best = int(np.nanargmax(column))  # (the first row of equal means)
    info = {"rescored_cv": float(column[search.best_index_]),
            "unguarded_rescored_cv": float(column[best])}
    if best == search.best_index_:
        info["unguarded_accuracy"] = accuracy
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            other = pipeline(seed).set_params(**res["params"][best]).fit(X, y)
        info["unguarded_accuracy"] = float(other.score(X_test, y_test))
    return info


def report(rows):
    names = [n for n in DATASETS if any(r["set"] == n for r in rows)]
    methods = [m for m in METHODS if any(r["method"] == m for r in rows)]
    head = f"{'data set':23s}" + "".join(f"{m:>17s}" for m in methods)
    head += "".join(f"{p:>8s}" for p in ("DTW", "FCN", "ResNet", "ROCKET"))
    print(head)
    for n in names:
        line = f"{n:23s}"
        for m in methods:
            acc = [r["accuracy"] for r in rows if r["set"] == n and r["method"] == m]
            line += f"{np.mean(acc):9.3f} ({len(acc)}x)" if acc else f"{'':>17s}"
            line += "" if acc else ""
        for p in ("DTW", "FCN", "ResNet", "ROCKET"):
            v = PUBLISHED[n][p]
            line += f"{v:8.3f}" if v is not None else f"{'-':>8s}"
        print(line)
    print("\nper seed (test accuracy / wall seconds; kept = the search kept the default):")
    for n in names:
        for m in methods:
            sel = sorted((r for r in rows if r["set"] == n and r["method"] == m),
                         key=lambda r: r["seed"])
            if sel:
                cells = "  ".join(
                    f"{r['accuracy']:.3f}/{r['seconds']:.0f}s"
                    + ("/kept" if r.get("kept_estimator") else "") for r in sel)
                print(f"  {n:23s} {m:8s} {cells}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--sets", default=",".join(DATASETS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--json", help="save the rows to this file (after each run)")
    parser.add_argument("--load", nargs="+", help="print the rows saved in these files")
    args = parser.parse_args()
    # one torch thread for the single fits too, as the searches use per fit:
    # results then do not depend on the machine's load (see docs/benchmarks.md)
    torch.set_num_threads(1)
    if args.load:
        rows = []
        for path in args.load:
            with open(path) as f:
                rows.extend(json.load(f))
        report(rows)
        return
    rows = []
    for name in args.sets.split(","):
        for method in args.methods.split(","):
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                row = run_one(name, method, seed, n_jobs=args.n_jobs)
                rows.append(row)
                print(f"{name} {method} seed {seed}: test accuracy "
                      f"{row['accuracy']:.3f}, {row['seconds']:.0f} s"
                      + (f", best CV {row['best_cv']:.3f} over "
                         f"{row['n_candidates']} candidates, kept the default: "
                         f"{row['kept_estimator']}" if "best_cv" in row else ""),
                      flush=True)
                if args.json:
                    with open(args.json, "w") as f:
                        json.dump(rows, f, default=str)
    report(rows)


if __name__ == "__main__":
    main()
