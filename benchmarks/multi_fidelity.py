"""Multi-fidelity search against full-budget random search and sklearn's halving.

On ItalyPowerDemand (``--data train``, the default: the standard training
split, 67 series of 24 steps; ``--data pooled``: 300 series) or
JapaneseVowels (``--data vowels``: 270 ragged series of 12 channels), a
``SequenceScaler`` + ``LSTMClassifier`` pipeline is tuned over one search
space by

* ``RandomizedSearchCV`` -- the reference: ``--n-random`` candidates, each
  trained for the full ``--max-epochs`` on every fold;
* ``BayesSearchCV(resource="max_epochs")`` -- batches of ``--n-points``
  candidates go through successive halving; survivors continue training;
* ``GeneticSearchCV(resource="max_epochs")`` -- the same schedule inside each
  generation;
* ``HalvingRandomSearchCV(resource="lstmclassifier__max_epochs")`` --
  scikit-learn's successive halving, which retrains survivors from scratch.

All share the folds, the rungs (``--min-epochs`` times powers of the factor
up to ``--max-epochs``) and, per seed, the random state. For every seed the
script prints each method's best cross-validated score, its wall time and the
ratio of its wall time to the random search's, run side by side in one
process; a summary follows. The goal of the multi-fidelity searchers: at
least the random search's best score in at most a quarter of its time.

A best CV score is the maximum of many noisy estimates, so the script also
re-scores each method's chosen configuration (untimed): its mean CV score
over ``--rescore`` fresh weight seeds, on the same folds and full budget.

Usage::

    python benchmarks/multi_fidelity.py                 # full run, 3 seeds
    python benchmarks/multi_fidelity.py --quick         # a short smoke run
    python benchmarks/multi_fidelity.py --space default --time-fraction 0.2
"""

import argparse
import math
import statistics
import time
import warnings

import numpy as np
import torch
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import (
    HalvingRandomSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from skopt.learning import ExtraTreesRegressor
from skopt.space import Categorical, Integer, Real

from sklstm import LSTMClassifier
from sklstm.preprocessing import SequenceScaler
from sklstm.search import BayesSearchCV, GeneticSearchCV, default_lstm_space

from datasplits import CHOICES, HELP, SkoptDistribution, describe, load_search_data

P = "lstmclassifier__"
NARROW_SPACE = {
    P + "hidden_size": Integer(8, 64, prior="log-uniform", base=2),
    P + "num_layers": Integer(1, 2),
    P + "dropout": Real(0.0, 0.3),
    P + "lr": Real(1e-3, 1e-1, prior="log-uniform"),
    P + "optimizer": Categorical(["adam", "rmsprop", "sgd"]),
}


def pipeline(max_epochs, seed):
    return make_pipeline(
        SequenceScaler(),
        LSTMClassifier(max_epochs=max_epochs, batch_size=16, random_state=seed),
    )


def search_space(args):
    """The space searched: sklstm's default LSTM space or a narrower one."""
    if args.space == "default":
        return default_lstm_space(pipeline(args.max_epochs, 0))
    return NARROW_SPACE


def run_methods(args, seed, X, y):
    cv = StratifiedKFold(args.cv, shuffle=True, random_state=seed)
    est = pipeline(args.max_epochs, seed)
    space = search_space(args)
    rungs = dict(resource="max_epochs", min_resource=args.min_epochs,
                 reduction_factor=args.factor)
    distributions = {name: SkoptDistribution(dim) for name, dim in space.items()}

    def fit(search):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search.fit(X, y)
        return time.perf_counter() - start

    reference = RandomizedSearchCV(est, distributions, n_iter=args.n_random, cv=cv,
                                   random_state=seed, n_jobs=args.n_jobs)
    out = {"random (full budget)": _summary(
        args, reference, fit(reference), args.n_random * args.cv * args.max_epochs,
        X, y)}
    _progress(seed, "random (full budget)", out)
    # With --time-fraction the multi-fidelity searchers get that share of the
    # reference's wall time as their time budget (checked between batches /
    # generations, so a run may overshoot it by one batch and the refit) and
    # as many batches / generations as fit into it.
    budget = {}
    n_bayes, generations = args.n_bayes, args.generations
    if args.time_fraction:
        budget = {"max_time": args.time_fraction * out["random (full budget)"][1]}
        n_bayes, generations = 100 * args.n_points, 100
    methods = {
        "BayesSearchCV multi-fidelity": lambda: BayesSearchCV(
            est, space, n_iter=n_bayes, n_points=args.n_points, cv=cv,
            random_state=seed, n_jobs=args.n_jobs,
            # a small forest and 1000 sampled points keep the surrogate's
            # cost (9 refits per constant-liar batch) well below the fits'
            optimizer_kwargs={
                "n_initial_points": args.n_points,
                "base_estimator": ExtraTreesRegressor(
                    n_estimators=30, min_samples_leaf=2, random_state=seed),
                "acq_optimizer": "sampling",
                "acq_optimizer_kwargs": {"n_points": 1000},
            },
            **rungs, **budget,
        ),
        "GeneticSearchCV multi-fidelity": lambda: GeneticSearchCV(
            est, space, population_size=args.population,
            n_generations=generations, cv=cv, random_state=seed,
            n_jobs=args.n_jobs, **rungs, **budget,
        ),
        "HalvingRandomSearchCV": lambda: HalvingRandomSearchCV(
            est, distributions, resource=P + "max_epochs",
            max_resources=args.max_epochs, min_resources=args.min_epochs,
            factor=args.factor, n_candidates=args.n_halving, cv=cv,
            random_state=seed, n_jobs=args.n_jobs,
        ),
    }
    for name, make in methods.items():
        if not any(m.lower() in name.lower() for m in args.methods):
            continue
        search = make()
        wall = fit(search)
        epochs = getattr(search, "n_epochs_spent_", None)
        if epochs is None and hasattr(search, "n_resources_"):
            epochs = sum(
                n * r for n, r in zip(search.n_candidates_, search.n_resources_)
            ) * args.cv
        out[name] = _summary(args, search, wall, epochs, X, y)
        _progress(seed, name, out)
    return out


def _progress(seed, name, out):
    score, wall = out[name][:2]
    print(f"  [seed {seed}] {name}: best CV {score:.4f} in {wall:.1f} s", flush=True)


def _summary(args, search, wall, epochs, X, y):
    return (float(search.best_score_), wall, epochs, len(search.cv_results_["params"]),
            _rescore(args, search, X, y))


def _rescore(args, search, X, y):
    """Mean CV score of the chosen configuration over fresh weight seeds.

    A best CV score is the maximum of many noisy estimates: the same
    configuration trained from other initial weights scores differently. This
    untimed check cross-validates the chosen configuration (same folds, full
    budget) with ``--rescore`` other random states and averages.
    """
    if not args.rescore:
        return math.nan
    cv = search.cv
    means = []
    for i in range(args.rescore):
        est = pipeline(args.max_epochs, 1000 + i).set_params(**search.best_params_)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            means.append(cross_val_score(est, X, y, cv=cv).mean())
    return float(np.mean(means))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--max-epochs", type=int, default=54)
    parser.add_argument("--min-epochs", type=int, default=6)
    parser.add_argument("--factor", type=float, default=3)
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--n-random", type=int, default=30)
    parser.add_argument("--n-bayes", type=int, default=27)
    parser.add_argument("--n-points", type=int, default=9)
    parser.add_argument("--population", type=int, default=9)
    parser.add_argument("--generations", type=int, default=2)
    parser.add_argument("--n-halving", type=int, default=27)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--space", choices=["narrow", "default"], default="narrow",
                        help="'default': sklstm's default LSTM space; 'narrow': "
                             "hidden 8-64, 1-2 layers, lr 1e-3-1e-1, dropout <= 0.3")
    parser.add_argument("--time-fraction", type=float, default=None,
                        help="give the multi-fidelity searchers this fraction of the "
                             "random search's wall time (max_time) instead of a "
                             "fixed number of batches / generations")
    parser.add_argument("--methods", nargs="+",
                        default=["bayes", "genetic", "halving"],
                        help="methods besides the random search")
    parser.add_argument("--rescore", type=int, default=5,
                        help="fresh weight seeds for re-scoring each chosen "
                             "configuration (0: skip)")
    parser.add_argument("--data", choices=CHOICES, default="train", help=HELP)
    parser.add_argument("--quick", action="store_true",
                        help="tiny settings: checks that the script runs")
    args = parser.parse_args()
    if args.quick:
        args.seeds = args.seeds[:1]
        args.max_epochs, args.min_epochs, args.cv = 4, 1, 2
        args.n_random, args.n_bayes, args.n_points = 4, 4, 4
        args.population, args.generations, args.n_halving = 4, 1, 4
        args.factor = 2
        args.rescore = min(args.rescore, 1)
    torch.set_num_threads(1)
    X, y = load_search_data(args.data)[:2]
    print(f"{describe(args.data, X)}, cv={args.cv}, max_epochs="
          f"{args.max_epochs}, min_epochs={args.min_epochs}, factor={args.factor}, "
          f"n_jobs={args.n_jobs}, torch threads 1, {args.space} space, time fraction "
          f"{args.time_fraction}")
    # warm up torch (first-call initialisation) outside the timed runs
    pipeline(2, 0).fit(X, y)
    summary = {}
    for seed in args.seeds:
        results = run_methods(args, seed, X, y)
        ref_score, ref_wall = results["random (full budget)"][:2]
        print(f"\nseed {seed}")
        print(f"  {'method':32s} {'best CV':>8s} {'wall s':>8s} {'ratio':>6s} "
              f"{'epochs':>7s} {'cands':>5s} {'rescored':>8s}")
        for name, (score, wall, epochs, n, rescored) in results.items():
            ratio = wall / ref_wall
            summary.setdefault(name, []).append(
                (score, ratio, score >= ref_score, rescored))
            print(f"  {name:32s} {score:8.4f} {wall:8.1f} {ratio:6.2f} "
                  f"{epochs if epochs is not None else '-':>7} {n:5d} {rescored:8.4f}")
    print("\nsummary over seeds (ratio = wall time / random search's wall time; "
          f"rescored = the chosen configuration's mean CV over {args.rescore} fresh "
          "weight seeds)")
    for name, rows in summary.items():
        scores = [r[0] for r in rows]
        ratios = [r[1] for r in rows]
        wins = sum(r[2] for r in rows)
        print(f"  {name:32s} mean best CV {statistics.mean(scores):.4f}, "
              f"median ratio {statistics.median(ratios):.2f}, "
              f">= random's score in {wins}/{len(rows)} seeds, "
              f"mean rescored {statistics.mean(r[3] for r in rows):.4f}")


if __name__ == "__main__":
    main()
