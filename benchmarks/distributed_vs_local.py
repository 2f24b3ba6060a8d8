"""The same search on Dask, on Ray and on local joblib workers.

A ``BayesSearchCV`` over a small LSTM pipeline on ItalyPowerDemand (train
split) runs with ``n_jobs=2`` on joblib's default local backend, on a Dask
``LocalCluster`` (2 worker processes, 1 thread each) through
``joblib.parallel_backend("dask")``, and on a local Ray runtime with 2 CPUs
through ``joblib.parallel_backend("ray")``. Each repeat runs the three in
turn (the order rotates between repeats) so that machine noise hits all of
them; the printed figures are the medians of the per-repeat time ratios to
the local run.

It also counts how often the training data travels during each fit: the
``Client.scatter`` calls that carry ``X`` under Dask, and the times ``X`` is
serialized under Ray (1 means: once per search, not once per batch or per
task), and checks that every run found the candidates and scores of the
local run.

Usage::

    python benchmarks/distributed_vs_local.py [--repeats 3] [--n-iter 8] [--epochs 10]
        [--backends dask,ray]
"""

import argparse
import copyreg
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


class _Counted(np.ndarray):
    """The training data as an array that counts its serializations."""

    pickled = 0


def _reduce_counted(arr):
    _Counted.pickled += 1
    return np.array, (np.asarray(arr),)


copyreg.pickle(_Counted, _reduce_counted)


def make_search(n_iter, epochs):
    pipe = make_pipeline(SequenceScaler(), LSTMClassifier(max_epochs=epochs))
    space = {
        "lstmclassifier__hidden_size": Integer(4, 32, prior="log-uniform"),
        "lstmclassifier__lr": Real(1e-3, 3e-2, prior="log-uniform"),
    }
    return BayesSearchCV(pipe, space, n_iter=n_iter, n_points=2, cv=3,
                         random_state=0, optimizer_kwargs={"n_initial_points": 4})


def start_dask(X):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster)
    calls = []
    original_scatter = client.scatter

    def counting_scatter(data, *a, **k):
        items = data if isinstance(data, (list, tuple)) else [data]
        if any(item is X for item in items):
            calls.append(1)
        return original_scatter(data, *a, **k)

    client.scatter = counting_scatter

    def stop():
        client.close()
        cluster.close()

    return calls, stop


def start_ray():
    import ray
    from ray.util.joblib import register_ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    register_ray()
    return ray.shutdown


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-iter", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--backends", default="dask,ray")
    args = parser.parse_args()
    backends = args.backends.split(",")
    # the parent process only coordinates; keep it off the workers' cores
    torch.set_num_threads(1)

    X, y = load_italy_power_demand(split="train")
    X = X.view(_Counted)
    stops = []
    dask_calls = None
    if "dask" in backends:
        dask_calls, stop = start_dask(X)
        stops.append(stop)
    if "ray" in backends:
        stops.append(start_ray())
    order = ["local"] + backends
    times = {name: [] for name in order}
    ratios = {name: [] for name in backends}
    shipped = {name: [] for name in backends}
    try:
        for repeat in range(args.repeats):
            runs = {}
            rotated = order[repeat % len(order):] + order[:repeat % len(order)]
            for name in rotated:
                if dask_calls is not None:
                    dask_calls.clear()
                _Counted.pickled = 0
                start = time.perf_counter()
                if name == "local":
                    runs[name] = make_search(args.n_iter, args.epochs).set_params(
                        n_jobs=2).fit(X, y)
                else:
                    with joblib.parallel_backend(name):
                        runs[name] = make_search(args.n_iter, args.epochs).fit(X, y)
                times[name].append(time.perf_counter() - start)
                if name == "dask":
                    shipped[name].append(len(dask_calls))
                elif name == "ray":
                    shipped[name].append(_Counted.pickled)
            local = runs["local"]
            line = [f"repeat {repeat}: local {times['local'][-1]:.1f}s"]
            for name in backends:
                same = (runs[name].cv_results_["params"] == local.cv_results_["params"]
                        and np.array_equal(runs[name].cv_results_["mean_test_score"],
                                           local.cv_results_["mean_test_score"]))
                ratios[name].append(times[name][-1] / times["local"][-1])
                line.append(f"{name} {times[name][-1]:.1f}s (ratio {ratios[name][-1]:.2f}, "
                            f"data shipped {shipped[name][-1]}x, same results {same})")
            print("  ".join(line), flush=True)
    finally:
        for stop in stops:
            stop()

    n_batches = len(set(local.cv_results_["iteration"]))
    print()
    print(f"BayesSearchCV, {args.n_iter} candidates x 3 folds, {args.epochs} epochs, "
          f"{n_batches} batches, ItalyPowerDemand train ({len(X)} samples)")
    print(f"median local n_jobs=2: {statistics.median(times['local']):.1f}s")
    for name in backends:
        print(f"median {name}: {statistics.median(times[name]):.1f}s, "
              f"time ratio {name} / local {statistics.median(ratios[name]):.2f}, "
              f"data shipped per search {shipped[name]}")


if __name__ == "__main__":
    main()
