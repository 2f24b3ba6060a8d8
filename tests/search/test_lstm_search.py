"""Both searchers on a tiny LSTMClassifier, including the default space."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier
from sklstm.preprocessing import SequenceScaler
from sklstm.search import BayesSearchCV, GeneticSearchCV, default_lstm_space


def _sequences(n=40, steps=6, features=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, steps, features)).astype(np.float32)
    y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    return X, y


X, y = _sequences()


@pytest.fixture(autouse=True)
def one_torch_thread():
    # tiny networks on a shared machine: extra intra-op threads only add waiting
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _lstm():
    return LSTMClassifier(hidden_size=4, conv_filters=4, max_epochs=2, batch_size=20)


def test_genetic_default_space_through_pipeline():
    pipe = make_pipeline(SequenceScaler(), _lstm())
    torch.manual_seed(5)
    torch_state = torch.get_rng_state()
    search = GeneticSearchCV(pipe, population_size=2, n_generations=1, cv=2,
                             random_state=0).fit(X, y)
    assert torch.equal(torch.get_rng_state(), torch_state)
    expected = set(default_lstm_space(pipe)) | {"lstmclassifier__random_state"}
    assert set(search.best_params_) == expected
    assert set(search.predict(X)) <= {"up", "down"}
    assert isinstance(search.best_params_["lstmclassifier__random_state"], int)
    assert search.best_estimator_[-1].hidden_size == search.best_params_[
        "lstmclassifier__hidden_size"]


def test_bayes_with_optimizer_classes_and_pickling():
    space = {"optimizer": [torch.optim.Adam, "sgd"], "lr": (1e-3, 1e-1, "log-uniform")}
    search = BayesSearchCV(_lstm(), space, n_iter=3, cv=2, random_state=0,
                           optimizer_kwargs={"n_initial_points": 3}).fit(X, y)
    optimizers = {p["optimizer"] for p in search.cv_results_["params"]}
    assert optimizers <= {torch.optim.Adam, "sgd"}
    back = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(back.predict(X), search.predict(X))


def test_lstm_search_is_reproducible():
    def run():
        return BayesSearchCV(_lstm(), {"lr": (1e-3, 1e-1, "log-uniform")}, n_iter=2,
                             cv=2, random_state=3,
                             optimizer_kwargs={"n_initial_points": 2}).fit(X, y)

    first, second = run(), run()
    np.testing.assert_array_equal(first.cv_results_["mean_test_score"],
                                  second.cv_results_["mean_test_score"])
    assert first.cv_results_["params"] == second.cv_results_["params"]
