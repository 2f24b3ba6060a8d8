"""Search race: sklstm's searchers against peer searchers, side by side.

On shipped data sets (default: JapaneseVowels and GunPoint, each on its
standard split), the default pipeline ``make_pipeline(SequenceScaler(),
LSTMClassifier())`` is tuned over sklstm's default space by

* ``random``: ``RandomizedSearchCV``, ``--n-random`` candidates at the full
  budget (the reference);
* ``bayes`` / ``bayes-mf``: sklstm's ``BayesSearchCV`` at its default budget,
  without and with ``resource="max_epochs"``;
* ``genetic`` / ``genetic-mf``: sklstm's ``GeneticSearchCV`` likewise;
* ``halving``: scikit-learn's ``HalvingRandomSearchCV`` over
  ``max_epochs`` (``--n-random`` first candidates, factor 3);
* ``optuna``: an Optuna study over the estimator (TPE sampler, successive
  halving pruner at the same epoch rungs as sklstm's, ``--n-random`` trials;
  each trial's fold models continue training from rung to rung);
* ``ga-opt``: sklearn-genetic-opt's ``GASearchCV`` (population
  ``--n-random / 3``, one generation: about ``--n-random`` evaluations);
* ``skopt``: scikit-optimize's own ``BayesSearchCV`` (``--n-random``
  iterations, 2 points per batch).

All share the folds (``StratifiedKFold(--cv)`` seeded per seed), ``n_jobs``,
one torch thread per fit and, per seed, the random state. For each method
and seed the script records the wall time (search and refit), the refit's
test accuracy, and the chosen configuration's CV re-scored over
``--rescore`` fresh weight seeds on the same folds (untimed). Every fold
score any method computes is appended, with its time, to a log, which gives
the anytime curve: the best mean CV at the full budget found so far against
wall time. Peers go in the ``bench`` extra (``pip install sklstm[bench]``).

Usage::

    python benchmarks/search_race.py --seeds 0 1 2 3 4 --json race.json --plot race.png
    python benchmarks/search_race.py --quick          # tiny settings: does it run?
    python benchmarks/search_race.py --load race.json --plot race.png
"""

import argparse
import hashlib
import json
import math
import os
import random
import statistics
import tempfile
import time
import warnings

import numpy as np
import torch
from sklearn.base import clone
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.metrics import accuracy_score
from sklearn.model_selection import (
    HalvingRandomSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.utils.parallel import Parallel, delayed
from skopt.space import Categorical, Integer, Real

from sklstm import LSTMClassifier
from sklstm.datasets import (
    load_basic_motions,
    load_gunpoint,
    load_italy_power_demand,
    load_japanese_vowels,
)
from sklstm.preprocessing import SequenceScaler
from sklstm.search import BayesSearchCV, GeneticSearchCV, default_lstm_space

from datasplits import SkoptDistribution

P = "lstmclassifier__"
SETS = {"JapaneseVowels": load_japanese_vowels, "GunPoint": load_gunpoint,
        "BasicMotions": load_basic_motions, "ItalyPowerDemand": load_italy_power_demand}
SKLSTM = ("bayes", "bayes-mf", "genetic", "genetic-mf")
METHODS = ("random",) + SKLSTM + ("halving", "optuna", "ga-opt", "skopt")


def pipeline(seed, max_epochs=None):
    lstm = LSTMClassifier(random_state=seed)
    if max_epochs is not None:
        lstm.set_params(max_epochs=max_epochs)
    return make_pipeline(SequenceScaler(), lstm)


class LoggingAccuracy:
    """Accuracy as a scorer that also appends each call to a log file.

    One JSON line per call (when, the candidate, how many epochs its
    network trained, the score): written from worker processes too, so the
    anytime curve of any searcher can be rebuilt afterwards. Lines are short
    and appended in one write, so lines of parallel workers do not mix.
    """

    def __init__(self, path, keys):
        self.path = path
        self.keys = keys

    def __call__(self, estimator, X, y):
        score = float(accuracy_score(y, estimator.predict(X)))
        params = estimator.get_params()
        key = json.dumps({k: params[k] for k in self.keys}, sort_keys=True, default=str)
        line = json.dumps({"t": time.time(), "key": key, "score": score,
                           "fold": fingerprint(X, y),
                           "epochs": len(estimator[-1].net_.history)})
        with open(self.path, "a") as f:
            f.write(line + "\n")
        return score


def take(X, idx):
    """Rows ``idx`` of an array or of a list of ragged series."""
    return [X[i] for i in idx] if isinstance(X, list) else X[idx]


def fingerprint(X, y):
    """A short digest that tells the scored data sets (the folds) apart."""
    first, last = (X[0], X[-1]) if len(X) else (b"", b"")
    digest = hashlib.sha1(np.asarray(y).tobytes())
    digest.update(np.asarray(first).tobytes())
    digest.update(np.asarray(last).tobytes())
    return digest.hexdigest()[:16]


def anytime(log_path, start, max_epochs, folds):
    """``[(seconds, best mean CV so far)]`` from a log: a candidate counts
    once each CV test fold (``folds``: their fingerprints) was scored at the
    full budget. Scores on other data (a searcher scoring its refit on the
    training set, say) are left out. The full budget is ``max_epochs``
    within 5 %: scikit-learn's halving multiplies its first rung by the
    factor, so its last rung can fall a little short (99 of 100 epochs)."""
    seen, done = {}, []
    if not os.path.exists(log_path):
        return []
    with open(log_path) as f:
        for line in f:
            row = json.loads(line)
            if row["epochs"] < 0.95 * max_epochs or row["fold"] not in folds:
                continue
            scores = seen.setdefault(row["key"], {})
            scores[row["fold"]] = (row["t"], row["score"])
            if len(scores) == len(folds):
                done.append((max(t for t, _ in scores.values()) - start,
                             statistics.mean(s for _, s in scores.values())))
                seen[row["key"]] = {}  # the same candidate again: a new evaluation
    curve, best = [], -math.inf
    for t, score in sorted(done):
        if score > best:
            best = score
            curve.append((round(t, 2), score))
    return curve


def _optuna_fold(model, X_train, y_train, X_test, y_test, epochs, first, scorer):
    if first:
        model[-1].set_params(max_epochs=epochs)
        model.fit(X_train, y_train)
    else:
        model[-1].set_params(warm_start=True, max_epochs=epochs)
        model[-1].fit(model[:-1].transform(X_train), y_train)
    return model, scorer(model, X_test, y_test)


class OptunaSearch:
    """An Optuna study over the pipeline, with pruning between epoch rungs.

    Each trial samples a configuration with TPE, trains its fold models for
    the first rung's epochs, reports the mean fold score and continues the
    models (``warm_start``) to the next rung unless the successive halving
    pruner stops it. The folds of a rung run in parallel (``n_jobs``
    processes); trials run one after the other, as TPE asks. The learning
    rate schedule spans the full budget, as in sklstm's own multi-fidelity
    search.
    """

    def __init__(self, estimator, space, *, n_trials, cv, rungs, scoring,
                 n_jobs, random_state):
        self.estimator, self.space, self.n_trials = estimator, space, n_trials
        self.cv, self.rungs, self.scoring = cv, rungs, scoring
        self.n_jobs, self.random_state = n_jobs, random_state

    def _suggest(self, trial):
        params = {}
        for name, dim in self.space.items():
            log = getattr(dim, "prior", None) == "log-uniform"
            if isinstance(dim, Integer):
                params[name] = trial.suggest_int(name, int(dim.low), int(dim.high), log=log)
            elif isinstance(dim, Real):
                params[name] = trial.suggest_float(name, dim.low, dim.high, log=log)
            else:
                params[name] = trial.suggest_categorical(name, list(dim.categories))
        return params

    def fit(self, X, y):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        splits = list(self.cv.split(X, y))
        parallel = Parallel(n_jobs=self.n_jobs)

        def objective(trial):
            params = self._suggest(trial)
            base = clone(self.estimator).set_params(
                **params, **{P + "lr_schedule_epochs": self.rungs[-1]})
            models = [clone(base) for _ in splits]
            done = 0
            for r, epochs in enumerate(self.rungs):
                out = parallel(
                    delayed(_optuna_fold)(m, take(X, tr), y[tr], take(X, te), y[te],
                                          epochs - done, r == 0, self.scoring)
                    for m, (tr, te) in zip(models, splits))
                models = [m for m, _ in out]
                done = epochs
                score = float(np.mean([s for _, s in out]))
                if r < len(self.rungs) - 1:
                    trial.report(score, epochs)
                    if trial.should_prune():
                        raise optuna.TrialPruned()
            return score

        self.study_ = optuna.create_study(
            direction="maximize",
            sampler=optuna.samplers.TPESampler(seed=self.random_state),
            pruner=optuna.pruners.SuccessiveHalvingPruner(
                min_resource=self.rungs[0], reduction_factor=3),
        )
        self.study_.optimize(objective, n_trials=self.n_trials)
        self.best_params_ = self.study_.best_params
        self.best_score_ = self.study_.best_value
        self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_).fit(X, y)
        return self


def _ga_space(space):
    from sklearn_genetic.space import Categorical as GCat
    from sklearn_genetic.space import Continuous, Integer as GInt

    out = {}
    for name, dim in space.items():
        if isinstance(dim, Integer):  # sklearn-genetic-opt has uniform integers only
            out[name] = GInt(int(dim.low), int(dim.high))
        elif isinstance(dim, Real):
            out[name] = Continuous(dim.low, dim.high, distribution=(
                "log-uniform" if dim.prior == "log-uniform" else "uniform"))
        else:
            out[name] = GCat(list(dim.categories))
    return out


def make_search(method, args, seed, space, cv, scorer, max_epochs):
    est = pipeline(seed, args.max_epochs)
    common = dict(cv=cv, n_jobs=args.n_jobs, scoring=scorer)
    distributions = {k: SkoptDistribution(d) for k, d in space.items()}
    mf = dict(resource="max_epochs")
    if method == "random":
        return RandomizedSearchCV(
            est, distributions,
            n_iter=args.n_random, random_state=seed, **common)
    if method in ("bayes", "bayes-mf"):
        budget = {"n_iter": args.sklstm_budget} if args.sklstm_budget else {}
        return BayesSearchCV(est, space, random_state=seed, **common, **budget,
                             **(mf if method.endswith("mf") else {}))
    if method in ("genetic", "genetic-mf"):
        budget = {"population_size": args.sklstm_budget} if args.sklstm_budget else {}
        return GeneticSearchCV(est, space, random_state=seed, **common, **budget,
                               **(mf if method.endswith("mf") else {}))
    rungs = _rungs(max_epochs)
    if method == "halving":
        return HalvingRandomSearchCV(
            est, distributions,
            resource=P + "max_epochs", max_resources=max_epochs,
            min_resources=rungs[0], factor=3, n_candidates=args.n_random,
            random_state=seed, **common)
    if method == "optuna":
        return OptunaSearch(est, space, n_trials=args.n_random, cv=cv, rungs=rungs,
                            scoring=scorer, n_jobs=args.n_jobs, random_state=seed)
    if method == "ga-opt":
        from sklearn_genetic import GASearchCV

        return GASearchCV(est, param_grid=_ga_space(space),
                          population_size=max(2, args.n_random // 3), generations=1,
                          verbose=False, **common)
    if method == "skopt":
        from skopt import BayesSearchCV as SkoptBayesSearchCV

        return SkoptBayesSearchCV(est, space, n_iter=args.n_random, n_points=2,
                                  random_state=seed, **common)
    raise ValueError(f"unknown method {method!r}; choose from {METHODS}")


def _count_lines(path):
    with open(path) as f:
        return sum(1 for _ in f)


def _rungs(max_epochs):
    # sklstm's default rungs: from max_epochs / 9, factor 3
    from sklstm.search._fidelity import rung_resources

    return rung_resources(max(1, int(round(max_epochs / 9))), max_epochs, 3)


def rescore(args, params, X, y, cv, cache):
    """Mean CV of a configuration over ``--rescore`` fresh weight seeds."""
    key = json.dumps(params, sort_keys=True, default=str)
    if key not in cache:
        means = []
        for i in range(args.rescore):
            est = pipeline(1000 + i, args.max_epochs).set_params(**params)
            means.append(cross_val_score(est, X, y, cv=cv, n_jobs=args.n_jobs).mean())
        cache[key] = float(np.mean(means)) if means else math.nan
    return cache[key]


def run_seed(args, name, seed, X, y, X_test, y_test, save=lambda rows: None):
    max_epochs = pipeline(seed, args.max_epochs)[-1].max_epochs
    space = default_lstm_space(pipeline(seed, args.max_epochs))
    keys = sorted(space) + [P + "random_state"]
    cv = StratifiedKFold(args.cv, shuffle=True, random_state=seed)
    folds = {fingerprint(take(X, te), y[te]) for _, te in cv.split(X, y)}
    rows, cache = {}, {}
    for method in args.methods:
        fd, log_path = tempfile.mkstemp(suffix=".jsonl", prefix=f"race-{method}-")
        os.close(fd)
        scorer = LoggingAccuracy(log_path, keys)
        random.seed(seed)  # sklearn-genetic-opt draws from Python's and NumPy's
        np.random.seed(seed)  # global generators; the others ignore them
        search = make_search(method, args, seed, space, cv, scorer, max_epochs)
        start = time.time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search.fit(X, y)
        wall = time.time() - start
        params = {k: v for k, v in search.best_params_.items() if k != P + "max_epochs"}
        row = {
            "wall": wall,
            "test": float(search.best_estimator_.score(X_test, y_test)),
            "best_cv": float(search.best_score_),
            "params": {k: (v.item() if isinstance(v, np.generic) else v)
                       for k, v in params.items()},
            "fold_scores": _count_lines(log_path),
            "curve": anytime(log_path, start, max_epochs, folds),
            "overhead": getattr(search, "search_overhead_", None),
        }
        os.remove(log_path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row["rescored"] = rescore(args, params, X, y, cv, cache)
        rows[method] = row
        save(rows)  # after each method: an interrupted run keeps what it finished
        print(f"  [{name} seed {seed}] {method:10s} wall {wall:7.1f} s  test "
              f"{row['test']:.4f}  rescored {row['rescored']:.4f}  best CV "
              f"{row['best_cv']:.4f}  fold scores {row['fold_scores']}", flush=True)
    return rows


def _overhead_share(row):
    over = row.get("overhead")
    if not over:
        return None
    total = over.get("total") if isinstance(over, dict) else over
    return None if total is None else total / row["wall"]


def summarize(results, methods):
    """Print the per-method means and the race's checks."""
    by = {}
    for name, seeds in results.items():
        for seed, rows in seeds.items():
            ref = rows.get("random")
            for m, row in rows.items():
                share = row["wall"] / ref["wall"] if ref else math.nan
                by.setdefault(m, []).append((row["test"], row["rescored"], share, row["wall"],
                                             _overhead_share(row)))
    print(f"\n{'method':12s} {'runs':>4s} {'test':>7s} {'rescored':>8s} "
          f"{'wall/random':>11s} {'wall s':>7s} {'overhead':>8s}")
    for m in methods:
        if m not in by:
            continue
        rows = by[m]
        over = [r[4] for r in rows if r[4] is not None]
        print(f"{m:12s} {len(rows):4d} {statistics.mean(r[0] for r in rows):7.4f} "
              f"{statistics.mean(r[1] for r in rows):8.4f} "
              f"{statistics.median(r[2] for r in rows):11.2f} "
              f"{statistics.mean(r[3] for r in rows):7.1f} "
              f"{(f'{100 * max(over):.1f}%' if over else '-'):>8s}")
    if "random" in by:
        ref_test = statistics.mean(r[0] for r in by["random"])
        ref_res = statistics.mean(r[1] for r in by["random"])
        for m in ("bayes-mf", "genetic-mf"):
            if m in by:
                rows = by[m]
                print(f"check {m}: max wall share {max(r[2] for r in rows):.2f} (goal <= 0.25), "
                      f"test {statistics.mean(r[0] for r in rows):.4f} vs random {ref_test:.4f}, "
                      f"rescored {statistics.mean(r[1] for r in rows):.4f} vs {ref_res:.4f}")
    lead = anytime_lead(results)
    for peer, share in lead.items():
        print(f"anytime: sklstm's best searcher at or ahead of {peer} at "
              f"{100 * share:.0f}% of the common time points")


def _value_at(curve, t):
    best = -math.inf
    for when, score in curve:
        if when > t:
            break
        best = score
    return best


def anytime_lead(results, n_points=20):
    """For each peer: the share of (set, seed, time) points where the best
    sklstm searcher's best-so-far CV is at least the peer's. The time points
    span, evenly, the time both curves are defined (after the first
    completed candidate of each, up to the end of the shorter run)."""
    tests = {}
    for seeds in results.values():
        for rows in seeds.values():
            for m, row in rows.items():
                tests.setdefault(m, []).append(row["test"])
    ours = [m for m in SKLSTM if m in tests]
    if not ours:
        return {}
    best = max(ours, key=lambda m: statistics.mean(tests[m]))
    out = {}
    for peer in tests:
        if peer in SKLSTM:
            continue
        wins = total = 0
        for seeds in results.values():
            for rows in seeds.values():
                a, b = rows[best], rows.get(peer)
                if b is None or not a["curve"] or not b["curve"]:
                    continue
                lo = max(a["curve"][0][0], b["curve"][0][0])
                hi = min(a["wall"], b["wall"])
                if hi <= lo:
                    continue
                for k in range(n_points):
                    t = lo + (hi - lo) * k / (n_points - 1)
                    wins += _value_at(a["curve"], t) >= _value_at(b["curve"], t)
                    total += 1
        if total:
            out[f"{peer} ({best} vs it)"] = wins / total
    return out


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.5), squeeze=False)
    for ax, (name, seeds) in zip(axes[0], results.items()):
        methods = list(next(iter(seeds.values())))
        for i, m in enumerate(methods):
            color = f"C{i % 10}"
            for j, rows in enumerate(seeds.values()):
                row = rows.get(m)
                if not row or not row["curve"]:
                    continue
                t = [c[0] for c in row["curve"]] + [row["wall"]]
                s = [c[1] for c in row["curve"]] + [row["curve"][-1][1]]
                ax.step(t, s, where="post", color=color, alpha=0.8,
                        label=m if j == 0 else None,
                        linestyle="-" if m in SKLSTM else "--")
        ax.set_title(f"{name}: best full-budget CV so far")
        ax.set_xlabel("wall time (s)")
        ax.set_ylabel("mean CV accuracy")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"figure written to {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="JapaneseVowels,GunPoint",
                        help=f"comma-separated, from {', '.join(SETS)}")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--n-random", type=int, default=30)
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="the full budget (default: the estimator's max_epochs)")
    parser.add_argument("--rescore", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--sklstm-budget", type=int, default=None,
                        help="n_iter of sklstm's BayesSearchCV and population_size of "
                             "its GeneticSearchCV (default: theirs)")
    parser.add_argument("--train-size", type=int, default=None,
                        help="use only this many training series (stratified)")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--load", nargs="+", help="summarize saved results instead")
    parser.add_argument("--plot", help="write the anytime figure here")
    parser.add_argument("--quick", action="store_true",
                        help="tiny settings: checks that the script runs")
    args = parser.parse_args(argv)
    args.methods = [m for m in args.methods.split(",") if m]
    if args.load:
        results = {}
        for path in args.load:
            with open(path) as f:
                for name, seeds in json.load(f)["results"].items():
                    results.setdefault(name, {}).update(seeds)
        summarize(results, METHODS)
        if args.plot:
            plot(results, args.plot)
        return results
    if args.quick:
        args.seeds, args.n_random, args.cv = args.seeds[:1], 3, 2
        args.max_epochs, args.rescore = args.max_epochs or 3, min(args.rescore, 1)
        args.train_size = args.train_size or 24
        args.sklstm_budget = args.sklstm_budget or 3
    torch.set_num_threads(1)
    results = {}
    for name in args.sets.split(","):
        X, y = SETS[name](split="train")
        X_test, y_test = SETS[name](split="test")
        if args.train_size:
            from sklearn.model_selection import train_test_split

            idx, _ = train_test_split(np.arange(len(y)), train_size=args.train_size,
                                      stratify=y, random_state=0)
            X, y = take(X, idx), y[idx]
        print(f"{name}: {len(y)} training series, {len(y_test)} test series, "
              f"cv={args.cv}, n_jobs={args.n_jobs}, one torch thread per fit", flush=True)
        # warm up torch and start the worker processes outside the timed runs
        Parallel(n_jobs=args.n_jobs)(
            delayed(pipeline(0, 2).fit)(X, y) for _ in range(args.n_jobs))
        for seed in args.seeds:
            def save(rows, name=name, seed=seed):
                results.setdefault(name, {})[str(seed)] = rows
                if args.json:
                    with open(args.json, "w") as f:
                        json.dump({"args": vars(args), "results": results}, f, indent=1)

            save(run_seed(args, name, seed, X, y, X_test, y_test, save))
    summarize(results, METHODS)
    if args.plot:
        plot(results, args.plot)
    return results


if __name__ == "__main__":
    main()
