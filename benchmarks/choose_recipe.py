"""Choose training recipes by cross-validation inside the training splits.

Nothing here looks at a test split. Each configuration is cross-validated on
a set's standard training split only (stratified 3-fold for classification,
5-fold for regression, fold seed 0), for the weight seeds given; one row per
(set, configuration, seed) is appended to a JSON-lines file, so a stopped run
keeps what it measured.

Classification (``--task classification``) compares ``base`` (100 epochs)
with ``stepsN``: ``max(100, ceil(N / ceil(n_train / 16)))`` epochs, the rule
behind ``max_epochs="auto"``, computed from each fold's own training size::

    python benchmarks/choose_recipe.py --sets ArrowHead,GunPoint,BasicMotions,\\
        ItalyPowerDemand,PickupGestureWiimoteZ,OSULeaf --configs base,steps1500 \\
        --seeds 0,1 --out epochs_auto_cv.jsonl

Regression (``--task regression``) compares LSTMRegressor variants (see
``VARIANTS``) on CardanoSentiment and Covid3Month, with the training mean
and a ridge regression on the flattened series as references::

    python benchmarks/choose_recipe.py --task regression \\
        --configs base,e30,drop,small,noconv,es,wd --seeds 0,1 --out regressor_cv.jsonl

    python benchmarks/choose_recipe.py --summary epochs_auto_cv.jsonl
"""

import argparse
import json
import math
import time
import warnings
from collections import defaultdict

import numpy as np
import torch
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm.preprocessing import SequenceScaler

from realdata import load

#: regressor variants: keyword arguments of LSTMRegressor
VARIANTS = {
    "base": {},
    "e30": dict(max_epochs=30),
    "drop": dict(dropout=0.5),
    "small": dict(hidden_size=16, conv_filters=16),
    "noconv": dict(conv_filters=0),
    "es": dict(early_stopping=True, validation_fraction=0.2),
    "wd": dict(optimizer="adamw", weight_decay=1.0),
    "noconv_e30": dict(conv_filters=0, max_epochs=30),
    "noconv_drop": dict(conv_filters=0, dropout=0.5),
}


def epochs_for(n_train, steps, batch_size=16, floor=100):
    """Epochs of the ``stepsN`` configuration for a fold of ``n_train``."""
    return max(floor, math.ceil(steps / math.ceil(n_train / batch_size)))


def _take(X, idx):
    return [X[i] for i in idx] if isinstance(X, list) else X[idx]


def classification_rows(name, configs, seeds):
    X, y = load(name, "train")
    y = np.asarray(y)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    for config in configs:
        for seed in seeds:
            start, scores = time.perf_counter(), []
            for train, test in cv.split(np.zeros(len(y)), y):
                epochs = 100 if config == "base" else epochs_for(len(train), int(config[5:]))
                model = make_pipeline(SequenceScaler(), LSTMClassifier(
                    random_state=seed, max_epochs=epochs))
                model.fit(_take(X, train), y[train])
                scores.append(model.score(_take(X, test), y[test]))
            yield dict(set=name, cfg=config, seed=seed, cv=float(np.mean(scores)),
                       epochs=epochs, seconds=time.perf_counter() - start)


def regression_rows(name, configs, seeds):
    X, y = load(name, "train")
    cv = KFold(5, shuffle=True, random_state=0)

    def rmse(model, data):
        errors = []
        for train, test in cv.split(data):
            pred = model.fit(_take(data, train), y[train]).predict(_take(data, test))
            errors.append(np.sqrt(np.mean((pred - y[test]) ** 2)))
        return float(np.mean(errors))

    yield dict(set=name, cfg="mean", cv=rmse(DummyRegressor(), X))
    flat = np.asarray(X).reshape(len(X), -1)
    yield dict(set=name, cfg="ridge", cv=rmse(
        make_pipeline(StandardScaler(), RidgeCV(np.logspace(-3, 3, 13))), flat))
    for config in configs:
        for seed in seeds:
            start = time.perf_counter()
            model = make_pipeline(SequenceScaler(), LSTMRegressor(
                random_state=seed, **VARIANTS[config]))
            yield dict(set=name, cfg=config, seed=seed, cv=rmse(model, X),
                       seconds=time.perf_counter() - start)


def summary(path, base="base"):
    """Per set and configuration: mean CV and the paired difference to ``base``."""
    rows = [json.loads(line) for line in open(path)]
    table = defaultdict(dict)
    for r in rows:
        table[(r["set"], r["cfg"])][r.get("seed")] = r["cv"]
    for (name, config), by_seed in sorted(table.items()):
        line = f"{name:22s} {config:12s} mean {np.mean(list(by_seed.values())):.4f}"
        ref = table.get((name, base), {})
        common = sorted(k for k in set(by_seed) & set(ref) if k is not None)
        if config != base and common:
            d = np.array([by_seed[k] - ref[k] for k in common])
            se = d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else float("nan")
            line += f"  vs {base}: {d.mean():+.4f} (se {se:.4f}, seeds {common})"
        print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=("classification", "regression"),
                        default="classification")
    parser.add_argument("--sets", default=None)
    parser.add_argument("--configs", default="base,steps1500")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--out", default="choose_recipe.jsonl")
    parser.add_argument("--summary", help="print the summary of a rows file")
    args = parser.parse_args()
    if args.summary:
        summary(args.summary)
        return
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    regression = args.task == "regression"
    sets = args.sets.split(",") if args.sets else (
        ["CardanoSentiment", "Covid3Month"] if regression else
        ["ArrowHead", "GunPoint", "BasicMotions", "ItalyPowerDemand",
         "PickupGestureWiimoteZ", "OSULeaf"])
    seeds = [int(s) for s in args.seeds.split(",")]
    rows_of = regression_rows if regression else classification_rows
    for name in sets:
        for row in rows_of(name, args.configs.split(","), seeds):
            print(json.dumps(row), flush=True)
            with open(args.out, "a") as f:
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
