"""Both searchers on a real Dask cluster through joblib's Dask backend."""

import logging

import joblib
import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from sklstm.search import BayesSearchCV, GeneticSearchCV

from ._utils import data

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


def _searches():
    return list(_search_iter())


def _search_iter():
    space = {"max_depth": (1, 10), "criterion": ["gini", "entropy"],
             "min_samples_leaf": (1, 20)}
    tree = DecisionTreeClassifier()
    yield BayesSearchCV(tree, space, n_iter=6, n_points=2, cv=3, random_state=0,
                        optimizer_kwargs={"n_initial_points": 4})
    yield GeneticSearchCV(tree, space, population_size=4, n_generations=2, cv=3,
                          random_state=0)


@pytest.mark.parametrize("search", _searches(), ids=["bayes", "genetic"])
def test_dask_matches_local_and_scatters_data_once(search, client, scatter_log):
    X, y = data(n_samples=300)
    local = search.set_params(n_jobs=2).fit(X, y)
    local_results = local.cv_results_
    local_best = local.best_params_

    with joblib.parallel_backend("dask"):
        remote = search.fit(X, y)

    assert remote.cv_results_["params"] == local_results["params"]
    np.testing.assert_array_equal(remote.cv_results_["mean_test_score"],
                                  local_results["mean_test_score"])
    np.testing.assert_array_equal(remote.cv_results_["rank_test_score"],
                                  local_results["rank_test_score"])
    assert remote.best_params_ == local_best
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
