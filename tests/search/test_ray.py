"""Both searchers on a real local Ray runtime through joblib's Ray backend."""

import copyreg

import joblib
import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from sklstm import LSTMClassifier
from sklstm.search import BayesSearchCV, GeneticSearchCV

from ._utils import assert_same_search, data, distributed_searches

ray = pytest.importorskip("ray")
ray_joblib = pytest.importorskip("ray.util.joblib")


class Counted(np.ndarray):
    """An array that counts how often it is serialized (in this process)."""

    pickled = 0


def _reduce_counted(arr):
    Counted.pickled += 1
    return np.array, (np.asarray(arr),)


# consulted by pickle, cloudpickle and Ray's serializer before __reduce_ex__
copyreg.pickle(Counted, _reduce_counted)


@pytest.fixture(scope="module")
def ray_runtime():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    ray_joblib.register_ray()
    try:
        yield
    finally:
        ray.shutdown()


def _counted(X):
    return np.asarray(X).view(Counted)


@pytest.mark.parametrize("search", distributed_searches(), ids=["bayes", "genetic"])
def test_ray_matches_local_and_ships_data_once(search, ray_runtime):
    X, y = data(n_samples=300)
    local = search.set_params(n_jobs=2).fit(X, y)
    local_results = local.cv_results_
    local_best = local.best_params_

    X_counted = _counted(X)
    Counted.pickled = 0
    with joblib.parallel_backend("ray"):
        remote = search.fit(X_counted, y)
    shipped = Counted.pickled

    assert_same_search(remote, local_results, local_best)
    n_fits = len(remote.cv_results_["params"]) * 3
    assert n_fits > 12
    # X went into Ray's object store once, not once per fit task
    assert shipped == 1


def test_without_ray_the_data_is_passed_as_is():
    X, y = data(n_samples=120)
    X_counted = _counted(X)
    Counted.pickled = 0
    search = GeneticSearchCV(DecisionTreeClassifier(), {"max_depth": (1, 6)},
                             population_size=3, n_generations=1, cv=3,
                             random_state=0, n_jobs=1).fit(X_counted, y)
    assert Counted.pickled == 0
    assert search.best_score_ > 0.5


def test_lstm_multi_fidelity_search_on_ray(ray_runtime):
    """The successive-halving rungs run on Ray and match the local search."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(48, 8, 1)).astype(np.float32)
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    search = BayesSearchCV(
        LSTMClassifier(max_epochs=4, batch_size=16, random_state=0),
        {"hidden_size": [4, 8], "lr": (1e-3, 1e-1, "log-uniform")},
        n_iter=4, n_points=4, cv=2, random_state=0, n_jobs=2,
        resource="max_epochs", min_resource=1, reduction_factor=2,
        optimizer_kwargs={"n_initial_points": 4},
    )
    local = search.fit(X, y)
    local_scores = local.cv_results_["mean_test_score"].copy()
    with joblib.parallel_backend("ray"):
        remote = search.fit(X, y)
    np.testing.assert_array_equal(remote.cv_results_["mean_test_score"], local_scores)
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))
