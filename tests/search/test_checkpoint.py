"""Checkpoints: a search killed part-way resumes exactly, refitting nothing."""

import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from sklstm.search import BayesSearchCV, GeneticSearchCV
from sklstm.search._checkpoint import read_checkpoint

from ._utils import data

# A module the killed child and the resuming test both import under the same
# name, so that the estimator pickles (and fingerprints) identically.
HELPERS = textwrap.dedent('''
    import os
    import signal

    import numpy as np
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from skopt.space import Real

    from sklstm.search import BayesSearchCV, GeneticSearchCV


    class CountingClassifier(ClassifierMixin, BaseEstimator):
        """Logistic regression that appends a line to ``log`` per fit.

        When the environment names a number of fits, the process kills itself
        with SIGKILL once the log holds that many lines.
        """

        def __init__(self, C=1.0, fit_intercept=True, log=None, random_state=None):
            self.C = C
            self.fit_intercept = fit_intercept
            self.log = log
            self.random_state = random_state

        def fit(self, X, y):
            self.model_ = LogisticRegression(
                C=self.C, fit_intercept=self.fit_intercept).fit(X, y)
            self.classes_ = self.model_.classes_
            with open(self.log, "a") as f:
                f.write(f"{self.C!r} {self.fit_intercept!r} {len(X)}\\n")
            kill_after = os.environ.get("CKPT_TEST_KILL_AFTER")
            if kill_after:
                with open(self.log) as f:
                    if sum(1 for _ in f) >= int(kill_after):
                        os.kill(os.getpid(), signal.SIGKILL)
            return self

        def predict(self, X):
            return self.model_.predict(X)


    SPACE = {"C": Real(1e-3, 1e2, prior="log-uniform"),
             "fit_intercept": [True, False]}


    def data():
        return make_classification(n_samples=60, n_features=5, n_informative=3,
                                   random_state=0)


    def make(kind, log, checkpoint):
        est = CountingClassifier(log=log)
        if kind == "bayes":
            return BayesSearchCV(est, SPACE, n_iter=8, n_points=2, cv=3,
                                 random_state=0, checkpoint=checkpoint,
                                 optimizer_kwargs={"n_initial_points": 4})
        return GeneticSearchCV(est, SPACE, population_size=4, n_generations=3,
                               cv=3, random_state=0, checkpoint=checkpoint)
''')

CHILD = textwrap.dedent('''
    import sys
    sys.path.insert(0, sys.argv[1])
    from ckpt_helpers import data, make
    X, y = data()
    make(sys.argv[2], sys.argv[3], sys.argv[4]).fit(X, y)
''')


def _lines(path):
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return sum(1 for _ in f)


@pytest.fixture
def helpers(tmp_path, monkeypatch):
    (tmp_path / "ckpt_helpers.py").write_text(HELPERS)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("ckpt_helpers", None)
    import ckpt_helpers

    yield ckpt_helpers
    sys.modules.pop("ckpt_helpers", None)


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_killed_search_resumes_exactly(kind, helpers, tmp_path):
    X, y = helpers.data()
    ref_log = str(tmp_path / "ref.log")
    log = str(tmp_path / "run.log")
    checkpoint = str(tmp_path / "search.ckpt")

    reference = helpers.make(kind, ref_log, None).fit(X, y)
    assert _lines(ref_log) == reference.n_fits_ + 1  # + the refit

    # a child process that kills itself with SIGKILL after 13 fits: in the
    # middle of a batch, after at least one batch was checkpointed
    env = dict(os.environ, CKPT_TEST_KILL_AFTER="13")
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), kind, log, checkpoint],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert child.returncode == -9, child.stderr
    assert _lines(log) == 13
    _, _, batches, _ = read_checkpoint(checkpoint)
    stored_fits = sum(batch.n_fits for batch in batches)
    assert 0 < stored_fits < 13

    before = _lines(log)
    resumed = helpers.make(kind, log, checkpoint).fit(X, y)
    n_new = _lines(log) - before
    # finished candidates are not refitted: only the rest, plus the refit
    assert n_new == reference.n_fits_ - stored_fits + 1

    ref, res = reference.cv_results_, resumed.cv_results_
    assert res["params"] == ref["params"]
    np.testing.assert_array_equal(res["mean_test_score"], ref["mean_test_score"])
    np.testing.assert_array_equal(res["rank_test_score"], ref["rank_test_score"])
    column = "iteration" if kind == "bayes" else "generation"
    np.testing.assert_array_equal(res[column], ref[column])
    assert resumed.best_params_ == reference.best_params_
    assert resumed.best_index_ == reference.best_index_
    assert resumed.n_fits_ == reference.n_fits_
    # the finished checkpoint restores the whole search: only the refit runs
    before = _lines(log)
    restored = helpers.make(kind, log, checkpoint).fit(X, y)
    assert _lines(log) - before == 1
    assert restored.cv_results_["params"] == ref["params"]
    np.testing.assert_array_equal(restored.cv_results_["rank_test_score"],
                                  ref["rank_test_score"])
    assert restored.best_params_ == reference.best_params_
    # no temporary files left beside the checkpoint
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


class _Stop(Exception):
    pass


def _stop_after(n):
    calls = []

    def callback(search, record):
        calls.append(record)
        if len(calls) == n:
            raise _Stop

    return callback


def _tree_search(kind, **kwargs):
    space = {"max_depth": (1, 8), "criterion": ["gini", "entropy"]}
    if kind == "bayes":
        return BayesSearchCV(DecisionTreeClassifier(), space, n_iter=6, cv=3,
                             optimizer_kwargs={"n_initial_points": 3}, **kwargs)
    return GeneticSearchCV(DecisionTreeClassifier(), space, population_size=4,
                           n_generations=2, cv=3, **kwargs)


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_resume_without_random_state_reuses_the_seeds(kind, tmp_path):
    X, y = data()
    path = tmp_path / "ckpt"
    with pytest.raises(_Stop):
        _tree_search(kind, checkpoint=path, callbacks=_stop_after(2)).fit(X, y)
    _, _, batches, _ = read_checkpoint(path)
    stored_params = [p for batch in batches for seg in batch.segments for p in seg[1]]
    resumed = _tree_search(kind, checkpoint=path).fit(X, y)
    # the candidates found before the interruption, seeds included, come first
    assert resumed.cv_results_["params"][:len(stored_params)] == stored_params
    # a finished checkpoint restores the whole search without fitting
    again = _tree_search(kind, checkpoint=path).fit(X, y)
    assert again.cv_results_["params"] == resumed.cv_results_["params"]
    np.testing.assert_array_equal(again.cv_results_["mean_test_score"],
                                  resumed.cv_results_["mean_test_score"])
    assert again.best_params_ == resumed.best_params_


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
@pytest.mark.parametrize("change, what", [
    (lambda s, X, y: (s.set_params(estimator=DecisionTreeClassifier(max_features=2)),
                      X, y), "estimator"),
    (lambda s, X, y: (s.set_params(search_spaces={"max_depth": (1, 9)}), X, y),
     "search space"),
    (lambda s, X, y: (s.set_params(random_state=1), X, y), "random_state"),
    (lambda s, X, y: (s, X[:-1], y[:-1]), "training data"),
    (lambda s, X, y: (s, X + 1.0, y), "training data"),
])
def test_mismatched_checkpoint_is_refused(kind, change, what, tmp_path):
    X, y = data()
    path = tmp_path / "ckpt"
    _tree_search(kind, checkpoint=path, random_state=0).fit(X, y)
    before = path.read_bytes()
    search, X2, y2 = change(_tree_search(kind, checkpoint=path, random_state=0), X, y)
    with pytest.raises(ValueError, match=f"different search: .*{what}.*delete the file"):
        search.fit(X2, y2)
    assert path.read_bytes() == before  # never overwritten


def test_execution_parameters_do_not_invalidate(tmp_path):
    X, y = data()
    path = tmp_path / "ckpt"
    first = _tree_search("genetic", checkpoint=path, random_state=0).fit(X, y)
    again = _tree_search("genetic", checkpoint=path, random_state=0, n_jobs=2,
                         verbose=0, refit=False).fit(X, y)
    assert again.cv_results_["params"] == first.cv_results_["params"]


def test_foreign_file_is_refused(tmp_path):
    X, y = data()
    path = tmp_path / "not-a-checkpoint"
    path.write_bytes(b"hello")
    with pytest.raises(ValueError, match="cannot be read.*Delete the file"):
        _tree_search("bayes", checkpoint=path).fit(X, y)
    path.write_bytes(b'{"some": "dict"}\n{}')
    with pytest.raises(ValueError, match="not a search checkpoint"):
        _tree_search("bayes", checkpoint=path).fit(X, y)
    with open(path, "wb") as f:
        pickle.dump({"some": "dict"}, f)
    with pytest.raises(ValueError, match="not a search checkpoint.*a pickle"):
        _tree_search("bayes", checkpoint=path).fit(X, y)


def test_missing_directory_is_refused_before_fitting(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        _tree_search("genetic", checkpoint=tmp_path / "no" / "ckpt").fit(*data())


def test_checkpoint_is_a_parameter():
    search = _tree_search("bayes", checkpoint="a.ckpt")
    assert search.get_params()["checkpoint"] == "a.ckpt"
    with pytest.raises(ValueError, match="checkpoint"):
        _tree_search("bayes", checkpoint=3).fit(*data())


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
def test_choices_that_are_not_plain_data_are_taken_from_the_space(kind, tmp_path):
    # a categorical choice of estimators cannot be written as data: the file
    # refers to it, and a resumed search takes it from the search space again
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    scalers = [StandardScaler(), MinMaxScaler(), "passthrough"]
    space = {"scale": scalers, "tree__max_depth": (1, 8)}
    pipe = Pipeline([("scale", "passthrough"), ("tree", DecisionTreeClassifier())])

    def search(**kwargs):
        if kind == "bayes":
            return BayesSearchCV(pipe, space, n_iter=6, cv=3, random_state=0,
                                 optimizer_kwargs={"n_initial_points": 3}, **kwargs)
        return GeneticSearchCV(pipe, space, population_size=4, n_generations=2,
                               cv=3, random_state=0, **kwargs)

    X, y = data()
    reference = search().fit(X, y)
    path = tmp_path / "ckpt"
    with pytest.raises(_Stop):
        search(checkpoint=path, callbacks=_stop_after(2)).fit(X, y)
    assert b'"$ref"' in path.read_bytes()
    resumed = search(checkpoint=path).fit(X, y)
    assert resumed.cv_results_["params"] == reference.cv_results_["params"]
    np.testing.assert_array_equal(resumed.cv_results_["mean_test_score"],
                                  reference.cv_results_["mean_test_score"])
    # the very objects of the uninterrupted search (estimators compare by identity)
    assert any(not isinstance(p["scale"], str) for p in resumed.cv_results_["params"])
