"""Search quality at an equal budget: GeneticSearchCV, BayesSearchCV, random search.

All three searchers tune the same pipeline (SequenceScaler + LSTMClassifier)
over the same space (sklstm's default LSTM space) on ItalyPowerDemand, shipped
with sklstm, with the same number of candidates, the same epochs per fit and
the same 3-fold CV. Each is run with several seeds; the script prints the best
CV score, best parameters and wall time of every run, their means, and the
test accuracy of each refitted best model.

``--data pooled`` (the default) searches on 300 series drawn (stratified,
fixed seed) from the 1096 of both standard splits and tests on the other
796; one CV sample is then worth 0.0033. ``--data train`` searches on the
standard training split (67 series, one sample worth 0.015) and tests on the
standard test split (1029).

A second part measures the parallel speed-up of ``n_jobs=2`` over
``n_jobs=1`` for one search on this machine.

Usage::

    python benchmarks/search_quality.py [--data pooled|train] [--candidates 20] [--seeds 3]
        [--first-seed 0] [--epochs 20]
"""

import argparse
import statistics
import time

import numpy as np
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier
from sklstm.preprocessing import SequenceScaler
from sklstm.search import BayesSearchCV, GeneticSearchCV, default_lstm_space

from datasplits import CHOICES, HELP, SkoptDistribution, describe, load_search_data


def make_searchers(pipe, space, budget, seed, n_jobs=1, population=10, offspring=None):
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    common = dict(cv=cv, n_jobs=n_jobs, random_state=seed, error_score=np.nan)
    return {
        # the GA's cache never refits a configuration it has seen, so it gets
        # as many generations as it needs to cross-validate `budget` distinct
        # candidates (max_fits = budget x 3 folds), like the other two
        "GeneticSearchCV": GeneticSearchCV(
            pipe, space, population_size=population, offspring_size=offspring,
            n_generations=4 * budget, max_fits=budget * 3, **common,
        ),
        "BayesSearchCV": BayesSearchCV(pipe, space, n_iter=budget, **common),
        "RandomizedSearchCV": RandomizedSearchCV(
            pipe, {k: SkoptDistribution(d) for k, d in space.items()}, n_iter=budget,
            **common,
        ),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds are first-seed, first-seed + 1, ...")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="workers for the quality part (all searchers alike)")
    parser.add_argument("--population", type=int, default=10,
                        help="GeneticSearchCV population size")
    parser.add_argument("--offspring", type=int, default=None,
                        help="GeneticSearchCV offspring per generation "
                             "(default: the population size)")
    parser.add_argument("--searchers", nargs="+",
                        default=["GeneticSearchCV", "BayesSearchCV", "RandomizedSearchCV"])
    parser.add_argument("--part", choices=["all", "quality", "speedup"], default="all")
    parser.add_argument("--data", choices=CHOICES, default="pooled", help=HELP)
    args = parser.parse_args()

    X, y, X_test, y_test = load_search_data(args.data)
    pipe = make_pipeline(
        SequenceScaler(), LSTMClassifier(max_epochs=args.epochs, random_state=0)
    )
    space = default_lstm_space(pipe)
    print(f"{describe(args.data, X, X_test)}, "
          f"{args.candidates} candidates, "
          f"{args.epochs} epochs per fit, 3-fold CV, seeds {args.first_seed}.."
          f"{args.first_seed + args.seeds - 1}")

    if args.part in ("all", "quality"):
        quality(args, pipe, space, X, y, X_test, y_test)
    if args.part in ("all", "speedup"):
        speedup(args, pipe, space, X, y)


def quality(args, pipe, space, X, y, X_test, y_test):
    results = {}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        searchers = make_searchers(pipe, space, args.candidates, seed, n_jobs=args.n_jobs,
                                   population=args.population,
                                   offspring=args.offspring)
        for name, search in searchers.items():
            if name not in args.searchers:
                continue
            t0 = time.perf_counter()
            search.fit(X, y)
            wall = time.perf_counter() - t0
            n_cand = len(search.cv_results_["params"])
            test = search.score(X_test, y_test)
            results.setdefault(name, []).append((search.best_score_, wall, test))
            print(f"seed {seed} {name:<19s} best CV {search.best_score_:.4f}  "
                  f"test {test:.4f}  candidates {n_cand:3d}  {wall:6.1f}s", flush=True)
            print(f"    best: {_short(search.best_params_)}", flush=True)

    print("\nmean over seeds")
    print(f"{'searcher':<19s} {'best CV':>8s} {'test':>7s} {'wall s':>7s}")
    for name, rows in results.items():
        best, wall, test = zip(*rows)
        print(f"{name:<19s} {statistics.mean(best):8.4f} {statistics.mean(test):7.4f} "
              f"{statistics.mean(wall):7.1f}")



def _short(params):
    """Best parameters without the step prefix, floats rounded."""
    return ", ".join(
        f"{k.split('__')[-1]}={v:.3g}" if isinstance(v, float)
        else f"{k.split('__')[-1]}={v}"
        for k, v in sorted(params.items())
    )


def speedup(args, pipe, space, X, y):
    """Parallel speed-up of one search (same candidates either way)."""
    print("\nparallel speed-up (GeneticSearchCV, population 8, 2 generations, seed 0)")
    walls = {}
    for n_jobs in (1, 2, 1, 2):
        search = GeneticSearchCV(pipe, space, population_size=8, n_generations=1,
                                 cv=StratifiedKFold(3, shuffle=True, random_state=0),
                                 n_jobs=n_jobs, random_state=0)
        t0 = time.perf_counter()
        search.fit(X, y)
        walls.setdefault(n_jobs, []).append(time.perf_counter() - t0)
        print(f"n_jobs={n_jobs}: {walls[n_jobs][-1]:6.1f}s best {search.best_score_:.4f}",
              flush=True)
    speedup = min(walls[1]) / min(walls[2])
    print(f"speed-up n_jobs=2 over n_jobs=1: {speedup:.2f}x")


if __name__ == "__main__":
    main()
