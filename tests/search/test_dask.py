"""Both searchers on a real Dask cluster through joblib's Dask backend."""

import logging
import os
import signal
from concurrent.futures import CancelledError

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.tree import DecisionTreeClassifier

from sklstm.search import GeneticSearchCV

from ._utils import assert_same_search, data, distributed_searches

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True,
        dashboard_address=None, silence_logs=logging.ERROR,
    ) as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture
def scatter_log(client, monkeypatch):
    """What ``client.scatter`` was asked to send, as lists of objects."""
    log = []
    original = client.scatter

    def scatter(data, *args, **kwargs):
        log.append(list(data) if isinstance(data, (list, tuple)) else [data])
        return original(data, *args, **kwargs)

    monkeypatch.setattr(client, "scatter", scatter)
    return log


@pytest.mark.parametrize("search", distributed_searches(), ids=["bayes", "genetic"])
def test_dask_matches_local_and_scatters_data_once(search, client, scatter_log):
    X, y = data(n_samples=300)
    local = search.set_params(n_jobs=2).fit(X, y)
    local_results = local.cv_results_
    local_best = local.best_params_

    with joblib.parallel_backend("dask"):
        remote = search.fit(X, y)

    assert_same_search(remote, local_results, local_best)
    n_batches = len(set(remote.cv_results_.get(
        "iteration", remote.cv_results_.get("generation"))))
    assert n_batches > 1
    # X and y went to the cluster in a single scatter call, for all batches
    sent_X = [call for call in scatter_log if any(obj is X for obj in call)]
    sent_y = [call for call in scatter_log if any(obj is y for obj in call)]
    assert len(sent_X) == 1 and len(sent_y) == 1
    assert sent_X == sent_y


def test_scatter_is_released_and_user_scatter_respected(client, scatter_log):
    X, y = data(n_samples=300)
    search = GeneticSearchCV(DecisionTreeClassifier(), {"max_depth": (1, 6)},
                             population_size=3, n_generations=1, cv=3,
                             random_state=0)
    # data the user scattered through the backend is not sent again
    with joblib.parallel_backend("dask", scatter=[X, y]):
        backend, _ = joblib.parallel.get_active_backend()
        futures = dict(backend.data_futures)
        search.fit(X, y)
        assert backend.data_futures == futures
    assert len([call for call in scatter_log if any(obj is X for obj in call)]) == 1
    # without Dask nothing is scattered
    scatter_log.clear()
    search.fit(X, y)
    assert scatter_log == []


class KillsItsWorker(ClassifierMixin, BaseEstimator):
    """A classifier whose first fit outside the process ``main`` kills the
    process it runs in, as a worker's memory limit does."""

    def __init__(self, flag=None, main=None, depth=1):
        self.flag = flag
        self.main = main
        self.depth = depth

    def fit(self, X, y):
        if os.getpid() != self.main and not os.path.exists(self.flag):
            with open(self.flag, "w") as f:
                f.write(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_losing_every_worker_names_the_lost_data(tmp_path):
    # one worker (two threads, so that joblib runs the fits there) holds the
    # scattered X and y; when it dies they are gone for good
    X, y = data(n_samples=60)
    flag = str(tmp_path / "killed")
    search = GeneticSearchCV(KillsItsWorker(flag, os.getpid()), {"depth": (1, 6)},
                             population_size=3, n_generations=1, cv=2,
                             random_state=0, n_jobs=2)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=True,
        dashboard_address=None, silence_logs=logging.CRITICAL,
    ) as cluster, distributed.Client(cluster):
        with joblib.parallel_backend("dask"), pytest.raises(
                RuntimeError, match=r"lost the training data \(X and y\)") as info:
            search.fit(X, y)
    assert os.path.exists(flag)  # a worker was killed
    message = str(info.value)
    assert "died or left" in message and "checkpoint=" in message
    assert isinstance(info.value.__cause__, CancelledError)  # Dask's own error
