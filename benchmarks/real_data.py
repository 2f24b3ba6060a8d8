"""Accuracy on real data: the untuned default, both searchers and MiniRocket.

Classification (``--task classification``, the default), on the standard
train/test split of each set -- the five shipped ones and aeon's ArrowHead,
OSULeaf and ACSF1:

* the default pipeline a new user writes,
  ``make_pipeline(SequenceScaler(), LSTMClassifier(random_state=seed))``,
  fitted on the training split;
* ``BayesSearchCV(pipe, n_jobs=2, random_state=seed)`` and
  ``GeneticSearchCV(pipe, n_jobs=2, random_state=seed)`` at their default
  budget and default space (cross-validation on the training split only),
  then refitted;
* aeon's ``MiniRocketClassifier(random_state=seed)``, measured in the same
  run (ragged sets zero-padded to their longest sequence, which it needs);

each scored once on the test split, for several seeds, with one torch
thread per fit (searches run two fits at a time). The published test
accuracies of 1-NN DTW, FCN, ResNet, InceptionTime and ROCKET are printed
beside them (see
``PUBLISHED`` for the sources). Wall time of every method is printed.

Regression (``--task regression``): CardanoSentiment (shipped) and aeon's
Covid3Month, test RMSE of the default
``make_pipeline(SequenceScaler(), LSTMRegressor(random_state=seed))``
against the training mean, a ridge regression on the flattened series
(``make_pipeline(StandardScaler(), RidgeCV(np.logspace(-3, 3, 13)))``) and
aeon's ``MiniRocketRegressor``, all in the same run, and the published
RMSE of FCN, ResNet, InceptionTime and ROCKET (``PUBLISHED_RMSE``).

aeon comes with the ``bench`` extra.

Usage::

    python benchmarks/real_data.py [--task classification] [--seeds 3]
        [--sets GunPoint,...] [--methods default,bayes,genetic,minirocket]
        [--json F]
    python benchmarks/real_data.py --task regression [--seeds 3] [--json F]
    python benchmarks/real_data.py --load F [--load G ...]   # print saved runs
"""

import argparse
import json
import time
import warnings

import numpy as np
import torch
from sklearn.linear_model import RidgeCV
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm.preprocessing import SequenceScaler
from sklstm.search import BayesSearchCV, GeneticSearchCV

from realdata import ALL_DATASETS, REGRESSION_DATASETS, channels_first, load, longest

#: published test accuracies on the standard split; None where none was found.
#: DTW: 1-NN DTW, full window for univariate sets (UCR archive 2018 summary,
#: Dau et al. 2019, "The UCR time series archive", error rates of its column
#: "DTW (w=100)"), dependent DTW_D for the multivariate sets (BasicMotions:
#: Ruiz et al. 2021, "The great multivariate time series classification bake
#: off", fold 0 = the standard split; JapaneseVowels: Bagnall et al. 2018,
#: "The UEA multivariate time series classification archive, 2018", as
#: reproduced in a later paper's table).
#: FCN and ResNet: Ismail Fawaz et al. 2019, "Deep learning for time series
#: classification: a review" (mean of 10 runs on the 85 sets of the 2015
#: archive; PickupGestureWiimoteZ and ACSF1, which only the 2018 archive has,
#: from the same authors' results on its 128 sets, mean of 5 runs; the
#: review's multivariate part for JapaneseVowels); BasicMotions ResNet from
#: Ruiz et al. 2021; no FCN figure was found for BasicMotions.
#: InceptionTime: Ismail Fawaz et al. 2020, "InceptionTime: finding AlexNet
#: for time series classification" (their results on the 128 sets, an
#: ensemble of five networks); BasicMotions from Ruiz et al. 2021.
#: ROCKET: Dempster et al. 2020, "ROCKET: exceptionally fast and accurate time
#: series classification using random convolutional kernels" (mean of 10
#: runs, the authors' published results); BasicMotions from Ruiz et al. 2021;
#: JapaneseVowels from the same later paper's table as its DTW_D (no primary
#: source found).
PUBLISHED = {
    "GunPoint": {"DTW": 0.907, "FCN": 1.000, "ResNet": 0.991, "Inception": 1.000,
                 "ROCKET": 1.000},
    "ItalyPowerDemand": {"DTW": 0.950, "FCN": 0.961, "ResNet": 0.963,
                         "Inception": 0.965, "ROCKET": 0.970},
    "BasicMotions": {"DTW": 0.975, "FCN": None, "ResNet": 1.000, "Inception": 1.000,
                     "ROCKET": 1.000},
    "PickupGestureWiimoteZ": {"DTW": 0.660, "FCN": 0.744, "ResNet": 0.704,
                              "Inception": 0.760, "ROCKET": 0.830},
    "JapaneseVowels": {"DTW": 0.949, "FCN": 0.993, "ResNet": 0.992, "Inception": None,
                       "ROCKET": 0.965},
    "ArrowHead": {"DTW": 0.703, "FCN": 0.843, "ResNet": 0.845, "Inception": 0.846,
                  "ROCKET": 0.814},
    "OSULeaf": {"DTW": 0.591, "FCN": 0.977, "ResNet": 0.979, "Inception": 0.942,
                "ROCKET": 0.941},
    "ACSF1": {"DTW": 0.640, "FCN": 0.898, "ResNet": 0.916, "Inception": 0.920,
              "ROCKET": 0.886},
}
#: the published columns, in the order printed
PUBLISHED_COLUMNS = ("DTW", "FCN", "ResNet", "Inception", "ROCKET")
#: published test RMSE on the standard split (Guijo-Rubio et al. 2024,
#: "Unsupervised feature based algorithms for time series extrinsic
#: regression", fold 0 of their published results)
PUBLISHED_RMSE = {
    "CardanoSentiment": {"FCN": 0.3023, "ResNet": 0.3415, "Inception": 0.3790,
                         "ROCKET": 0.2984},
    "Covid3Month": {"FCN": 0.0436, "ResNet": 0.1395, "Inception": 0.0548,
                    "ROCKET": 0.0389},
}
METHODS = ("default", "bayes", "genetic", "minirocket")
REGRESSION_METHODS = ("default", "mean", "ridge", "minirocket")


def pipeline(seed):
    return make_pipeline(SequenceScaler(), LSTMClassifier(random_state=seed))


def _minirocket(regression, seed, X, y, X_test):
    """aeon's MiniRocket fitted on zero-padded copies; its test predictions."""
    from aeon.classification.convolution_based import MiniRocketClassifier
    from aeon.regression.convolution_based import MiniRocketRegressor

    length = longest(X, X_test)
    cls = MiniRocketRegressor if regression else MiniRocketClassifier
    model = cls(random_state=seed).fit(channels_first(X, length), y)
    return model.predict(channels_first(X_test, length))


def run_regression(name, method, seed):
    """Test RMSE and wall time of one regression method on one set."""
    X, y = load(name, "train")
    X_test, y_test = load(name, "test")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "minirocket":
            pred = _minirocket(True, seed, X, y, X_test)
        elif method == "mean":
            pred = np.full(len(y_test), np.mean(y))
        else:
            if method == "ridge":
                model = make_pipeline(StandardScaler(), RidgeCV(np.logspace(-3, 3, 13)))
                flat = np.asarray(X).reshape(len(X), -1)
                pred = model.fit(flat, y).predict(np.asarray(X_test).reshape(len(X_test), -1))
            else:
                model = make_pipeline(SequenceScaler(), LSTMRegressor(random_state=seed))
                pred = model.fit(X, y).predict(X_test)
    seconds = time.perf_counter() - start
    rmse = float(np.sqrt(mean_squared_error(y_test, pred)))
    return dict(task="regression", set=name, method=method, seed=seed, rmse=rmse,
                seconds=seconds)


def run_one(name, method, seed, n_jobs=2):
    """Test accuracy and wall time of one method on one set."""
    X, y = load(name, "train")
    X_test, y_test = load(name, "test")
    start = time.perf_counter()
    info = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "minirocket":
            pred = _minirocket(False, seed, X, y, X_test)
            seconds = time.perf_counter() - start
            return dict(set=name, method=method, seed=seed, seconds=seconds,
                        accuracy=float(np.mean(pred == np.asarray(y_test))))
        if method == "default":
            model = pipeline(seed).fit(X, y)
            info = {"epochs": int(model[-1].n_iter_)}
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


def _by_seed(rows, name, method, key):
    return {r["seed"]: r[key] for r in rows if r["set"] == name and r["method"] == method}


def _paired(rows, name, method, base, key):
    """Mean and standard error of ``method - base`` over the seeds both ran."""
    a, b = _by_seed(rows, name, method, key), _by_seed(rows, name, base, key)
    diffs = np.array([a[k] - b[k] for k in sorted(set(a) & set(b))])
    if not diffs.size:
        return None
    se = diffs.std(ddof=1) / np.sqrt(diffs.size) if diffs.size > 1 else float("nan")
    return float(diffs.mean()), float(se), int(diffs.size)


def report(rows):
    classification = [r for r in rows if r.get("task", "classification") == "classification"]
    if classification:
        report_classification(classification)
    regression = [r for r in rows if r.get("task") == "regression"]
    if regression:
        report_regression(regression)


def report_classification(rows):
    names = [n for n in ALL_DATASETS if any(r["set"] == n for r in rows)]
    methods = [m for m in METHODS if any(r["method"] == m for r in rows)]
    head = f"{'data set':23s}" + "".join(f"{m:>17s}" for m in methods)
    head += "".join(f"{p:>10s}" for p in PUBLISHED_COLUMNS)
    print(head)
    for n in names:
        line = f"{n:23s}"
        for m in methods:
            acc = [r["accuracy"] for r in rows if r["set"] == n and r["method"] == m]
            line += f"{np.mean(acc):9.3f} ({len(acc)}x)" if acc else f"{'':>17s}"
        for p in PUBLISHED_COLUMNS:
            v = PUBLISHED[n][p]
            line += f"{v:10.3f}" if v is not None else f"{'-':>10s}"
        print(line)
    means = {}
    for m in methods:
        per_set = [np.mean([r["accuracy"] for r in rows if r["set"] == n and r["method"] == m])
                   for n in names if any(r["set"] == n and r["method"] == m for r in rows)]
        if len(per_set) == len(names):
            means[m] = float(np.mean(per_set))
    print(f"{'mean (sets weigh alike)':23s}" + "".join(
        f"{means[m]:9.3f}{'':8s}" if m in means else f"{'':>17s}" for m in methods))
    if "minirocket" in methods:
        print("\nagainst MiniRocket, paired over seeds (points; standard error):")
        for m in (m for m in methods if m != "minirocket"):
            cells = []
            for n in names:
                d = _paired(rows, n, m, "minirocket", "accuracy")
                cells.append(f"{n} {100 * d[0]:+.1f} ({100 * d[1]:.1f})" if d else f"{n} -")
            print(f"  {m:8s} " + ", ".join(cells))
    for m in (m for m in ("bayes", "genetic") if m in methods):
        cells = []
        for n in names:
            d = _paired(rows, n, m, "default", "accuracy")
            cells.append(f"{n} {100 * d[0]:+.1f} ({100 * d[1]:.1f})" if d else f"{n} -")
        print(f"\n{m} against the default, paired over seeds (points; standard "
              "error):\n  " + ", ".join(cells))
    print("\nper seed (test accuracy / wall seconds; kept = the search kept the default):")
    for n in names:
        for m in methods:
            sel = sorted((r for r in rows if r["set"] == n and r["method"] == m),
                         key=lambda r: r["seed"])
            if sel:
                cells = "  ".join(
                    f"{r['accuracy']:.3f}/{r['seconds']:.0f}s"
                    + ("/kept" if r.get("kept_estimator") else "") for r in sel)
                print(f"  {n:23s} {m:10s} {cells}")


def report_regression(rows):
    names = [n for n in REGRESSION_DATASETS if any(r["set"] == n for r in rows)]
    methods = [m for m in REGRESSION_METHODS if any(r["method"] == m for r in rows)]
    print("test RMSE (mean over seeds; seconds per fit)")
    columns = ("FCN", "ResNet", "Inception", "ROCKET")
    print(f"{'data set':18s}" + "".join(f"{m:>22s}" for m in methods)
          + "".join(f"{p:>10s}" for p in columns) + "  (published)")
    for n in names:
        line = f"{n:18s}"
        for m in methods:
            sel = [r for r in rows if r["set"] == n and r["method"] == m]
            line += (f"{np.mean([r['rmse'] for r in sel]):12.4f} "
                     f"({np.mean([r['seconds'] for r in sel]):5.1f} s)"
                     if sel else f"{'':>22s}")
        line += "".join(f"{PUBLISHED_RMSE[n][p]:10.4f}" for p in columns)
        print(line)
    print("\nper seed (test RMSE):")
    for n in names:
        for m in methods:
            sel = sorted((r for r in rows if r["set"] == n and r["method"] == m),
                         key=lambda r: r["seed"])
            if sel:
                print(f"  {n:18s} {m:10s} " + "  ".join(f"{r['rmse']:.4f}" for r in sel))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=("classification", "regression"),
                        default="classification")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--sets", help="comma-separated names (default: all of the task)")
    parser.add_argument("--methods", help="comma-separated (default: all of the task)")
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
    regression = args.task == "regression"
    sets = args.sets.split(",") if args.sets else (
        REGRESSION_DATASETS if regression else ALL_DATASETS)
    methods = args.methods.split(",") if args.methods else (
        REGRESSION_METHODS if regression else METHODS)
    rows = []
    for name in sets:
        for method in methods:
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                if regression:
                    row = run_regression(name, method, seed)
                    print(f"{name} {method} seed {seed}: test RMSE {row['rmse']:.4f}, "
                          f"{row['seconds']:.1f} s", flush=True)
                else:
                    row = run_one(name, method, seed, n_jobs=args.n_jobs)
                    print(f"{name} {method} seed {seed}: test accuracy "
                          f"{row['accuracy']:.3f}, {row['seconds']:.0f} s"
                          + (f", best CV {row['best_cv']:.3f} over "
                             f"{row['n_candidates']} candidates, kept the default: "
                             f"{row['kept_estimator']}" if "best_cv" in row else ""),
                          flush=True)
                rows.append(row)
                if args.json:
                    with open(args.json, "w") as f:
                        json.dump(rows, f, default=str)
    report(rows)


if __name__ == "__main__":
    main()
