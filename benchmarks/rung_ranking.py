"""Do early epochs rank LSTM configurations like the full budget does?

Successive halving promotes the candidates that score best after a few
epochs. It can only find what a full-budget search finds when the early
ranking agrees with the final one. This script measures that agreement on
the multi-fidelity benchmark's setting: ``--n-configs`` configurations drawn
as ``RandomizedSearchCV`` draws them (same space, sampler and seed as the
reference search of ``multi_fidelity.py``), each trained on every fold of
the same stratified 3-fold CV and scored after each checkpoint epoch
(``--checkpoints``, by default 2, 6, 18 and 54), training continuing from
one checkpoint to the next as a promoted candidate does.

For every seed it prints

* the Spearman rank correlation between the mean CV scores at each
  checkpoint and at the last one;
* the best final score of all configurations (what a full-budget random
  search over them reports);
* the final score of the configuration successive halving would pick from
  the same configurations with first rung ``r`` (keep the best third at each
  rung, the best one at the end), for every first rung ``r``;
* where that pick ranks among all configurations at the full budget;
* the same with the negative log loss (recorded alongside the accuracy)
  ranking the early checkpoints and deciding the promotions.

Nothing is timed: the script may share the machine. ``--json`` writes every
score; ``--load`` analyses such a file again without training.

Usage::

    python benchmarks/rung_ranking.py --data vowels --seeds 0 1 2
    python benchmarks/rung_ranking.py --data train --json scores.json
    python benchmarks/rung_ranking.py --load scores.json
"""

import argparse
import json
import statistics
import warnings

import numpy as np
import torch
from scipy.stats import spearmanr
from sklearn.base import clone
from sklearn.metrics import log_loss
from sklearn.model_selection import ParameterSampler, StratifiedKFold

from datasplits import CHOICES, HELP, SkoptDistribution, describe, load_search_data
from multi_fidelity import NARROW_SPACE, pipeline


def _take(X, idx):
    return X[idx] if isinstance(X, np.ndarray) else [X[i] for i in idx]


def curves(X, y, params, seed, checkpoints, n_splits):
    """Mean CV accuracy and negative log loss after each checkpoint epoch.

    Training continues from one checkpoint to the next.
    """
    cv = StratifiedKFold(n_splits, shuffle=True, random_state=seed)
    scores = np.zeros((n_splits, len(checkpoints)))
    losses = np.zeros((n_splits, len(checkpoints)))
    for f, (train, test) in enumerate(cv.split(X, y)):
        X_train, y_train = _take(X, train), y[train]
        X_test, y_test = _take(X, test), y[test]
        model = clone(pipeline(checkpoints[0], seed)).set_params(**params)
        model.set_params(lstmclassifier__max_epochs=checkpoints[0])
        model.fit(X_train, y_train)
        scores[f, 0] = model.score(X_test, y_test)
        losses[f, 0] = -log_loss(y_test, model.predict_proba(X_test), labels=model.classes_)
        done = checkpoints[0]
        lstm = model[-1]
        Z_train = model[:-1].transform(X_train)
        for c, epochs in enumerate(checkpoints[1:], start=1):
            lstm.set_params(warm_start=True, max_epochs=epochs - done)
            lstm.fit(Z_train, y_train)
            done = epochs
            scores[f, c] = model.score(X_test, y_test)
            losses[f, c] = -log_loss(y_test, model.predict_proba(X_test),
                                     labels=model.classes_)
    return scores.mean(axis=0), losses.mean(axis=0)


def halving_pick(table, first, factor=3, promote_by=None):
    """Index of the configuration successive halving picks from ``table``.

    ``table[i, c]`` is configuration ``i``'s mean CV score at checkpoint
    ``c``; halving starts at checkpoint ``first`` with every configuration and
    promotes ``n // factor`` (at least one) of a rung's ``n`` configurations,
    as the sklstm searchers do, up to the last checkpoint, where the best by
    ``table`` is picked. ``promote_by`` (same layout) ranks the promotions
    instead of ``table``, e.g. the log loss.
    """
    promote_by = table if promote_by is None else promote_by
    alive = np.arange(len(table))
    for c in range(first, table.shape[1] - 1):
        keep = max(1, int(len(alive) // factor))
        # stable: ties keep the earlier configuration, as the searchers do
        order = np.argsort(-promote_by[alive, c], kind="stable")
        alive = alive[order[:keep]]
    return alive[np.argmax(table[alive, -1])]


def halving_cost(n, checkpoints, first, factor=3):
    """Epochs halving from checkpoint ``first`` trains, as a share of ``n`` full runs."""
    alive, done, epochs = n, 0, 0
    for c in range(first, len(checkpoints)):
        epochs += alive * (checkpoints[c] - done)
        done = checkpoints[c]
        alive = max(1, int(alive // factor))
    return epochs / (n * checkpoints[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", choices=CHOICES, default="vowels", help=HELP)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-configs", type=int, default=30)
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[2, 6, 18, 54])
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--json", default=None, help="write every score to this file")
    parser.add_argument("--load", default=None,
                        help="analyse the scores of an earlier --json file "
                             "instead of training")
    parser.add_argument("--quick", action="store_true",
                        help="tiny settings: checks that the script runs")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.n_configs, args.checkpoints, args.cv = [0], 4, [1, 2, 4], 2
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    loaded = None
    if args.load:
        with open(args.load) as fh:
            loaded = json.load(fh)
        args.data, args.checkpoints = loaded["data"], loaded["checkpoints"]
        args.seeds = [int(seed) for seed in loaded["seeds"]]
        args.n_configs = len(next(iter(loaded["seeds"].values()))["params"])
    X, y = load_search_data(args.data)[:2]
    cps = args.checkpoints
    print(f"{describe(args.data, X)}, {args.n_configs} configurations, checkpoints "
          f"{cps}, {args.cv}-fold CV, narrow space"
          + (f" (scores read from {args.load})" if loaded else ""))
    distributions = {k: SkoptDistribution(d) for k, d in NARROW_SPACE.items()}
    dump, summary = {}, []
    for seed in args.seeds:
        if loaded:
            table = np.array(loaded["seeds"][str(seed)]["scores"])
            losses = loaded["seeds"][str(seed)].get("losses")
            losses = None if losses is None else np.array(losses)
        else:
            configs = list(ParameterSampler(distributions, args.n_configs,
                                            random_state=seed))
            both = [curves(X, y, p, seed, cps, args.cv) for p in configs]
            table = np.array([b[0] for b in both])
            losses = np.array([b[1] for b in both])
            dump[seed] = {"params": configs, "scores": table.tolist(),
                          "losses": losses.tolist()}
        final = table[:, -1]
        # rank 1 = best at the full budget; ties share the better rank
        rank = {i: 1 + int(np.sum(final > final[i])) for i in range(len(final))}
        rhos = [spearmanr(table[:, c], final).statistic for c in range(len(cps) - 1)]
        picks = [halving_pick(table, c) for c in range(len(cps) - 1)]
        print(f"\nseed {seed}: best final score {final.max():.4f} "
              f"(median {np.median(final):.4f})")
        for c in range(len(cps) - 1):
            i = picks[c]
            print(f"  epoch {cps[c]:3d}: Spearman vs epoch {cps[-1]} {rhos[c]:+.2f}; "
                  f"halving from here picks {final[i]:.4f} (rank {rank[i]} of "
                  f"{len(final)})")
        row = [final.max(), rhos, [final[i] for i in picks], [rank[i] for i in picks]]
        if losses is not None:
            # promotions by log loss (finer than accuracy on a small fold),
            # the final pick still by accuracy
            lrhos = [spearmanr(losses[:, c], final).statistic
                     for c in range(len(cps) - 1)]
            lpicks = [halving_pick(table, c, promote_by=losses)
                      for c in range(len(cps) - 1)]
            for c in range(len(cps) - 1):
                i = lpicks[c]
                print(f"  epoch {cps[c]:3d}, log loss: Spearman vs accuracy at epoch "
                      f"{cps[-1]} {lrhos[c]:+.2f}; halving promoting by it picks "
                      f"{final[i]:.4f} (rank {rank[i]})")
            row += [lrhos, [final[i] for i in lpicks], [rank[i] for i in lpicks]]
        summary.append(row)
    print(f"\nover {len(args.seeds)} seeds: mean best final score "
          f"{statistics.mean(s[0] for s in summary):.4f}")
    for c in range(len(cps) - 1):
        cost = halving_cost(args.n_configs, cps, c)
        print(f"  first rung {cps[c]:3d} ({cost:.2f} of the full-budget epochs): "
              "mean Spearman "
              f"{statistics.mean(s[1][c] for s in summary):+.2f}, halving picks "
              f"{statistics.mean(s[2][c] for s in summary):.4f} on average, ranks "
              f"{[s[3][c] for s in summary]}")
        if all(len(s) > 4 for s in summary):
            print(f"    promoting by log loss: mean Spearman "
                  f"{statistics.mean(s[4][c] for s in summary):+.2f}, halving picks "
                  f"{statistics.mean(s[5][c] for s in summary):.4f} on average, "
                  f"ranks {[s[6][c] for s in summary]}")
    if args.json and not loaded:
        with open(args.json, "w") as fh:
            json.dump({"checkpoints": cps, "data": args.data, "seeds": dump}, fh)


if __name__ == "__main__":
    main()
