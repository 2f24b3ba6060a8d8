"""Fixed-seed searches whose results must not change when the search code does.

Run ``dump`` with one version of sklstm importable and again with another,
then ``compare`` the two files: the ``cv_results_`` parameters, the per-split,
mean, standard deviation and rank columns of every metric (and the rung and
re-scoring columns), ``best_index_`` and ``best_params_`` must be equal
exactly (floats compared bit for bit, NaN equal to NaN)::

    python benchmarks/search_identity.py dump before.json --save-checkpoints ckpt/
    # ... switch to the other version ...
    python benchmarks/search_identity.py dump after.json --foreign-checkpoints ckpt/
    python benchmarks/search_identity.py compare before.json after.json

``--save-checkpoints`` keeps the checkpoint files of the interrupted searches;
``--foreign-checkpoints`` resumes such files written by the other version, and
``compare`` checks that they end where the other version's own resumed
searches ended. The cases cover the plain path, failures, multi-metric
scoring, re-scoring, multi-fidelity, checkpoint resume and a Dask cluster.
"""

import argparse
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import warnings

import numpy as np


def _searches():
    import torch
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier
    from skopt.space import Real

    from sklstm import LSTMClassifier
    from sklstm.search import BayesSearchCV, GeneticSearchCV

    torch.set_num_threads(1)

    class Flaky(ClassifierMixin, BaseEstimator):
        def __init__(self, mode="ok", C=1.0, random_state=None):
            self.mode = mode
            self.C = C
            self.random_state = random_state

        def fit(self, X, y):
            if self.mode == "fail":
                raise ValueError("flaky failure")
            self.model_ = LogisticRegression(C=self.C).fit(X, y)
            self.classes_ = self.model_.classes_
            return self

        def predict(self, X):
            return self.model_.predict(X)

        def score(self, X, y):
            return math.nan if self.mode == "nan" else super().score(X, y)

    X, y = make_classification(n_samples=80, n_features=5, n_informative=3,
                               random_state=0)
    rng = np.random.RandomState(0)
    Xs = rng.normal(size=(40, 6, 2)).astype(np.float32)
    ys = (Xs[:, :, 0].mean(axis=1) > 0).astype(int)
    lin = {"C": Real(1e-3, 1e2, prior="log-uniform"), "fit_intercept": [True, False]}
    tree = {"max_depth": (1, 8), "criterion": ["gini", "entropy"]}
    lstm = LSTMClassifier(hidden_size=4, max_epochs=4, batch_size=16)
    lstm_space = {"lr": (1e-3, 1e-1, "log-uniform"), "hidden_size": [2, 4, 6]}
    fid = dict(resource="max_epochs", min_resource=1, reduction_factor=2)
    cases = {
        "plain_bayes": (BayesSearchCV(
            LogisticRegression(), lin, n_iter=8, n_points=2, cv=3, random_state=0,
            optimizer_kwargs={"n_initial_points": 4}), X, y),
        "plain_genetic": (GeneticSearchCV(
            DecisionTreeClassifier(), tree, population_size=4, n_generations=3, cv=3,
            random_state=0), X, y),
        "failures_bayes": (BayesSearchCV(
            Flaky(), {"mode": ["ok", "fail", "nan"], "C": (0.1, 10.0)}, n_iter=10,
            cv=3, random_state=0, optimizer_kwargs={"n_initial_points": 100}), X, y),
        "failures_genetic": (GeneticSearchCV(
            Flaky(), {"mode": ["ok", "fail", "nan"], "C": (0.1, 10.0)},
            population_size=6, n_generations=2, cv=3, random_state=0), X, y),
        "multimetric_genetic": (GeneticSearchCV(
            DecisionTreeClassifier(), tree, population_size=4, n_generations=2, cv=3,
            random_state=1, scoring=["accuracy", "f1"], refit="f1",
            return_train_score=True), X, y),
        "lstm_rescore_bayes": (BayesSearchCV(
            lstm, lstm_space, n_iter=4, cv=2, random_state=0, rescore_top=2,
            optimizer_kwargs={"n_initial_points": 100}), Xs, ys),
        "lstm_rescore_genetic": (GeneticSearchCV(
            lstm, lstm_space, population_size=3, n_generations=1, cv=2,
            random_state=0, rescore_top=2), Xs, ys),
        "fidelity_bayes": (BayesSearchCV(
            lstm, lstm_space, n_iter=8, n_points=4, cv=2, random_state=0,
            rescore_top=2, optimizer_kwargs={"n_initial_points": 4}, **fid), Xs, ys),
        "fidelity_genetic": (GeneticSearchCV(
            lstm, lstm_space, population_size=4, n_generations=1, cv=2,
            random_state=0, rescore_top=0, **fid), Xs, ys),
        "checkpoint_bayes": (BayesSearchCV(
            LogisticRegression(), lin, n_iter=8, n_points=2, cv=3, random_state=0,
            optimizer_kwargs={"n_initial_points": 4}), X, y),
        "checkpoint_genetic": (GeneticSearchCV(
            DecisionTreeClassifier(), tree, population_size=4, n_generations=3, cv=3,
            random_state=0), X, y),
        "checkpoint_fidelity_bayes": (BayesSearchCV(
            lstm, lstm_space, n_iter=8, n_points=4, cv=2, random_state=0,
            rescore_top=2, optimizer_kwargs={"n_initial_points": 4}, **fid), Xs, ys),
        "dask_bayes": (BayesSearchCV(
            DecisionTreeClassifier(), tree, n_iter=6, n_points=2, cv=3,
            random_state=0, optimizer_kwargs={"n_initial_points": 4}), X, y),
    }
    return cases


class _Stop(Exception):
    pass


def _stop_after(n):
    calls = []

    def callback(search, record):
        calls.append(record)
        if len(calls) == n:
            raise _Stop

    return callback


def _record(search):
    res = search.cv_results_
    out = {"params": [repr(sorted(p.items())) for p in res["params"]]}
    for name, values in res.items():
        if name.endswith("_time") or name == "params" or name.startswith("param_"):
            continue
        out[name] = [_plain(v) for v in np.asarray(values).tolist()]
    out["best_index_"] = int(getattr(search, "best_index_", -1))
    out["best_params_"] = repr(sorted(getattr(search, "best_params_", {}).items()))
    return out


def _plain(value):
    if isinstance(value, float):
        return "nan" if math.isnan(value) else value.hex()
    return repr(value)


def _resume(search, X, y, path):
    return search.set_params(checkpoint=path, callbacks=None).fit(X, y)


def dump(out, save_dir=None, foreign_dir=None):
    import sklstm

    results = {"_sklstm": os.path.dirname(sklstm.__file__)}
    cases = _searches()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (search, X, y) in cases.items():
            if name.startswith("checkpoint_"):
                with tempfile.TemporaryDirectory() as tmp:
                    path = os.path.join(tmp, "search.ckpt")
                    try:
                        search.set_params(checkpoint=path,
                                          callbacks=_stop_after(2)).fit(X, y)
                    except _Stop:
                        pass
                    if save_dir is not None:
                        shutil.copy(path, os.path.join(save_dir, name + ".ckpt"))
                    results[name] = _record(_resume(search, X, y, path))
                if foreign_dir is not None:
                    with tempfile.TemporaryDirectory() as tmp:
                        path = os.path.join(tmp, "search.ckpt")
                        shutil.copy(os.path.join(foreign_dir, name + ".ckpt"), path)
                        results["foreign_" + name] = _record(
                            _resume(search, X, y, path))
            elif name.startswith("dask_"):
                import distributed
                import joblib

                with distributed.LocalCluster(
                        n_workers=2, threads_per_worker=1, processes=True,
                        dashboard_address=None, silence_logs=logging.ERROR,
                ) as cluster, distributed.Client(cluster):
                    with joblib.parallel_backend("dask"):
                        results[name] = _record(search.fit(X, y))
            else:
                results[name] = _record(search.fit(X, y))
            print(f"{name}: {len(results[name]['params'])} rows", flush=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=1)


def compare(before, after):
    with open(before) as f:
        a = json.load(f)
    with open(after) as f:
        b = json.load(f)
    print(f"before: {a.pop('_sklstm')}\nafter:  {b.pop('_sklstm')}")
    failures = 0
    pairs = [(name, name) for name in a if name in b]
    pairs += [(name[len("foreign_"):], name) for name in b if name.startswith("foreign_")]
    for left, right in pairs:
        x, z = a[left], b[right]
        differ = sorted(k for k in set(x) | set(z) if x.get(k) != z.get(k))
        status = "identical" if not differ else "DIFFERENT: " + ", ".join(differ)
        failures += bool(differ)
        label = left if left == right else f"{left} (before) vs {right} (after)"
        print(f"{label}: {len(x['params'])} rows, {status}")
    missing = sorted(set(a) ^ set(b) - {n for n in b if n.startswith("foreign_")})
    if missing:
        print("only in one file:", ", ".join(missing))
        failures += 1
    return failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out")
    d.add_argument("--save-checkpoints")
    d.add_argument("--foreign-checkpoints")
    c = sub.add_parser("compare")
    c.add_argument("before")
    c.add_argument("after")
    args = parser.parse_args(argv)
    if args.command == "dump":
        dump(args.out, args.save_checkpoints, args.foreign_checkpoints)
        return 0
    return 1 if compare(args.before, args.after) else 0


if __name__ == "__main__":
    sys.exit(main())
