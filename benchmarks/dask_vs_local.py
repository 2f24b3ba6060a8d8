"""The same search on a Dask cluster and on local joblib workers.

A ``BayesSearchCV`` over a small LSTM pipeline on ItalyPowerDemand (train
split) runs on a Dask ``LocalCluster`` (2 worker processes, 1 thread each)
through ``joblib.parallel_backend("dask")``, and with ``n_jobs=2`` on joblib's
default local backend. Runs alternate (Dask, local, Dask, ...) so that
machine noise hits both; the printed figure is the median of the per-pair
time ratios. The script also counts the ``Client.scatter`` calls that carry
the training data during each Dask fit (1 means: sent once per search, not
once per batch) and checks that both runs found the same candidates.

Usage::

    python benchmarks/dask_vs_local.py [--repeats 3] [--n-iter 8] [--epochs 10]
"""

import argparse
import logging
import statistics
import time

import joblib
import numpy as np
import torch
from sklearn.pipeline import make_pipeline
from skopt.space import Integer, Real

from sklstm import LSTMClassifier
from sklstm.datasets import load_italy_power_demand
from sklstm.preprocessing import SequenceScaler
from sklstm.search import BayesSearchCV


def make_search(n_iter, epochs):
    pipe = make_pipeline(SequenceScaler(), LSTMClassifier(max_epochs=epochs))
    space = {
        "lstmclassifier__hidden_size": Integer(4, 32, prior="log-uniform"),
        "lstmclassifier__lr": Real(1e-3, 3e-2, prior="log-uniform"),
    }
    return BayesSearchCV(pipe, space, n_iter=n_iter, n_points=2, cv=3,
                         random_state=0, optimizer_kwargs={"n_initial_points": 4})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-iter", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    # the parent process only coordinates; keep it off the workers' cores
    torch.set_num_threads(1)

    from distributed import Client, LocalCluster

    X, y = load_italy_power_demand(split="train")
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster)
    scattered = []
    original_scatter = client.scatter

    def counting_scatter(data, *a, **k):
        items = data if isinstance(data, (list, tuple)) else [data]
        if any(item is X for item in items):
            scattered.append(1)
        return original_scatter(data, *a, **k)

    client.scatter = counting_scatter
    ratios, t_dask, t_local, counts = [], [], [], []
    try:
        for repeat in range(args.repeats):
            scattered.clear()
            start = time.perf_counter()
            with joblib.parallel_backend("dask"):
                remote = make_search(args.n_iter, args.epochs).fit(X, y)
            t_d = time.perf_counter() - start
            counts.append(len(scattered))

            start = time.perf_counter()
            local = make_search(args.n_iter, args.epochs).set_params(n_jobs=2).fit(X, y)
            t_l = time.perf_counter() - start

            same = (remote.cv_results_["params"] == local.cv_results_["params"]
                    and np.allclose(remote.cv_results_["mean_test_score"],
                                    local.cv_results_["mean_test_score"]))
            t_dask.append(t_d)
            t_local.append(t_l)
            ratios.append(t_d / t_l)
            print(f"repeat {repeat}: dask {t_d:.1f}s  local {t_l:.1f}s  "
                  f"ratio {t_d / t_l:.2f}  data scatter calls {len(scattered)}  "
                  f"same results {same}", flush=True)
    finally:
        client.close()
        cluster.close()

    n_batches = len(set(remote.cv_results_["iteration"]))
    print()
    print(f"BayesSearchCV, {args.n_iter} candidates x 3 folds, {args.epochs} epochs, "
          f"{n_batches} batches, ItalyPowerDemand train ({len(X)} samples)")
    print(f"median dask {statistics.median(t_dask):.1f}s, "
          f"local n_jobs=2 {statistics.median(t_local):.1f}s")
    print(f"median time ratio dask / local: {statistics.median(ratios):.2f}")
    print(f"data scatter calls per Dask search: {counts}")


if __name__ == "__main__":
    main()
