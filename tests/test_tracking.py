"""MLflowLogger against a real MLflow tracking store in a local directory."""

import builtins
import json
import os
import pickle
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.tree import DecisionTreeClassifier
from skopt.space import Categorical, Integer, Real

from sklstm import LSTMClassifier
from sklstm.search import BayesSearchCV, GeneticSearchCV
from sklstm.tracking import MLflowLogger, MLflowLoggingWarning, load_model

if os.environ.get("CI"):
    # CI installs the test extra, which has MLflow: there a missing MLflow is
    # a broken install, not a reason to skip
    import mlflow
else:
    mlflow = pytest.importorskip("mlflow")

import mlflow.artifacts  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

SPACE = {"max_depth": Integer(1, 6), "criterion": Categorical(["gini", "entropy"])}


@pytest.fixture
def store(tmp_path, monkeypatch):
    # MLflow >= 3.10 refuses a directory store unless asked for one
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return (tmp_path / "mlruns").as_uri()


def _data(n=40, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    return X, (X[:, 0] + 0.3 * rng.normal(size=n) > 0).astype(int)


def _bayes(logger, **kwargs):
    callbacks = kwargs.pop("callbacks", [logger])
    kwargs = {"n_iter": 6, "n_points": 2, "cv": 3, "random_state": 0, **kwargs}
    return BayesSearchCV(DecisionTreeClassifier(), SPACE, callbacks=callbacks, **kwargs)


def _experiment(store, name):
    return MlflowClient(store).get_experiment_by_name(name).experiment_id


def _search_runs(store, name):
    client = MlflowClient(store)
    return client.search_runs([_experiment(store, name)],
                              "tags.`sklstm.role` = 'search'")


def _candidates(store, name, parent):
    client = MlflowClient(store)
    runs = client.search_runs([_experiment(store, name)],
                              f"tags.mlflow.parentRunId = '{parent}'")
    return sorted(runs, key=lambda run: int(run.data.tags["sklstm.row"]))


def _check_candidates(runs, results):
    """One candidate run per row, with that row's parameters and scores."""
    assert [int(run.data.tags["sklstm.row"]) for run in runs] == list(
        range(len(results["params"])))
    n_splits = sum(key.startswith("split") and key.endswith("_test_score")
                   for key in results)
    for row, run in enumerate(runs):
        assert run.data.params == {k: str(v) for k, v in results["params"][row].items()}
        metrics = run.data.metrics
        for key in ["mean_test_score", "std_test_score", "mean_fit_time"] + [
                f"split{k}_test_score" for k in range(n_splits)]:
            assert metrics[key] == pytest.approx(float(results[key][row]))
        assert metrics["rank_test_score"] == results["rank_test_score"][row]
        assert run.info.status == "FINISHED"


def test_bayes_search_logs_each_candidate_once(store, tmp_path):
    X, y = _data()
    logger = MLflowLogger("bayes", tracking_uri=store)
    search = _bayes(logger)
    # a decision tree is not a class sklstm's model format stores
    with pytest.warns(MLflowLoggingWarning, match="best model was not logged"):
        with logger.track(search):
            search.fit(X, y)
    assert search.stop_reason_ == "n_iter"  # the callback never stops the search
    results = search.cv_results_
    (parent,) = _search_runs(store, "bayes")
    assert parent.info.run_id == logger.run_id_
    assert parent.info.status == "FINISHED"
    runs = _candidates(store, "bayes", parent.info.run_id)
    _check_candidates(runs, results)  # three batches, no row twice
    assert {run.data.metrics["iteration"] for run in runs} == {0, 1, 2}

    data = parent.data
    assert data.metrics["best_score"] == pytest.approx(search.best_score_)
    assert json.loads(data.tags["sklstm.best_params"]) == search.best_params_
    for name, value in search.best_params_.items():
        assert data.tags[f"best.{name}"] == str(value)
    assert data.tags["sklstm.best_run_id"] == runs[search.best_index_].info.run_id
    assert data.tags["sklstm.stop_reason"] == "n_iter"
    assert data.params["estimator"] == "DecisionTreeClassifier"
    assert data.params["n_iter"] == "6"
    assert data.metrics["n_fits"] == search.n_fits_
    assert data.metrics["time_search"] == pytest.approx(search.timings_["search"])
    history = MlflowClient(store).get_metric_history(parent.info.run_id, "best_score")
    assert sorted(m.step for m in history) == [0, 1, 2, 3]  # three batches, the end
    folder = mlflow.artifacts.download_artifacts(
        run_id=parent.info.run_id, tracking_uri=store, dst_path=str(tmp_path))
    with open(os.path.join(folder, "cv_results.json")) as handle:
        assert json.load(handle)["params"] == results["params"]


def test_genetic_search_is_logged(store):
    X, y = _data()
    logger = MLflowLogger("genetic", tracking_uri=store, log_model=False)
    search = GeneticSearchCV(DecisionTreeClassifier(), SPACE, population_size=4,
                             n_generations=2, cv=3, random_state=0, callbacks=logger)
    search.fit(X, y)
    # without log_search the run stays open, with the candidates so far
    (parent,) = _search_runs(store, "genetic")
    assert parent.info.status == "RUNNING"
    assert parent.data.metrics["best_score"] == pytest.approx(search.best_score_)
    assert logger.log_search(search) == parent.info.run_id
    runs = _candidates(store, "genetic", parent.info.run_id)
    _check_candidates(runs, search.cv_results_)
    assert ({run.data.metrics["generation"] for run in runs}
            == set(search.cv_results_["generation"].tolist()))
    assert MlflowClient(store).get_run(parent.info.run_id).info.status == "FINISHED"


def test_multi_fidelity_search_logs_epochs_and_rung_and_the_model(store):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 5, 2)).astype("float32")
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    net = LSTMClassifier(hidden_size=4, conv_filters=0, max_epochs=2, batch_size=20,
                         random_state=0)
    logger = MLflowLogger("fidelity", tracking_uri=store)
    search = BayesSearchCV(net, {"lr": Real(1e-3, 1e-1, prior="log-uniform")},
                           resource="max_epochs", min_resource=1, reduction_factor=2,
                           n_iter=4, n_points=4, cv=2, rescore_top=2,
                           random_state=0, callbacks=logger)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # tiny budgets
        with logger.track(search):
            search.fit(X, y)
    results = search.cv_results_
    assert results["rescored"].any()  # rows added after the last callback
    (parent,) = _search_runs(store, "fidelity")
    runs = _candidates(store, "fidelity", parent.info.run_id)
    _check_candidates(runs, results)
    for row, run in enumerate(runs):
        metrics = run.data.metrics
        assert metrics["n_resources"] == results["n_resources"][row]
        assert metrics["rung"] == results["rung"][row]
        assert metrics["rung0_mean_test_score"] == pytest.approx(
            results["rung0_mean_test_score"][row])
        assert run.data.tags["sklstm.rescored"] == str(results["rescored"][row]).lower()
        rescored = results["rescored_mean_test_score"][row]
        if np.isfinite(rescored):
            assert metrics["rescored_mean_test_score"] == pytest.approx(rescored)
    assert json.loads(parent.data.tags["sklstm.n_resources"]) == search.n_resources_
    assert parent.data.metrics["n_epochs_spent"] == search.n_epochs_spent_

    assert parent.data.tags["sklstm.model"] == "model/best_estimator.sklstm"
    model = load_model(parent.info.run_id, tracking_uri=store)
    assert type(model) is LSTMClassifier
    np.testing.assert_array_equal(model.predict(X), search.predict(X))
    np.testing.assert_allclose(model.predict_proba(X), search.predict_proba(X))


def test_a_second_fit_gets_its_own_run(store):
    X, y = _data()
    logger = MLflowLogger("twice", tracking_uri=store, log_model=False)
    search = _bayes(logger)
    search.fit(X, y)
    search.fit(X[::-1], y[::-1])  # no log_search between the fits
    first, second = sorted(_search_runs(store, "twice"),
                           key=lambda run: run.info.start_time)
    assert first.info.status == "FINISHED"  # ended when the second fit began
    assert second.info.run_id == logger.run_id_
    for parent in (first, second):
        runs = _candidates(store, "twice", parent.info.run_id)
        assert len(runs) == len(search.cv_results_["params"])
    logger.log_search(search)
    _check_candidates(_candidates(store, "twice", second.info.run_id),
                      search.cv_results_)


class _Crash(Exception):
    pass


def _crash_at(iteration):
    def callback(search, record):
        if record["iteration"] == iteration:
            raise _Crash

    return callback


def test_a_resumed_checkpointed_search_continues_its_run(store, tmp_path):
    X, y = _data()
    checkpoint = tmp_path / "search.ckpt"
    logger = MLflowLogger("resume", tracking_uri=store, log_model=False)
    search = _bayes(logger, checkpoint=checkpoint, callbacks=[logger, _crash_at(1)])
    with pytest.raises(_Crash), logger.track(search):
        search.fit(X, y)
    (parent,) = _search_runs(store, "resume")
    assert parent.info.status == "FAILED"
    assert len(_candidates(store, "resume", parent.info.run_id)) == 4  # two batches
    # a candidate run cut short by the crash (never ended) is logged again
    client = MlflowClient(store)
    client.create_run(_experiment(store, "resume"),
                      tags={"mlflow.parentRunId": parent.info.run_id,
                            "sklstm.row": "4", "sklstm.role": "candidate"})

    # a new process: a new logger, the same checkpoint
    logger = MLflowLogger("resume", tracking_uri=store, log_model=False)
    search = _bayes(logger, checkpoint=checkpoint)
    with logger.track(search):
        search.fit(X, y)
    (again,) = _search_runs(store, "resume")
    assert again.info.run_id == parent.info.run_id == logger.run_id_
    assert again.info.status == "FINISHED"
    _check_candidates(_candidates(store, "resume", parent.info.run_id),
                      search.cv_results_)
    history = client.get_metric_history(parent.info.run_id, "best_score")
    assert sorted(m.step for m in history) == [0, 1, 2, 3]  # no batch twice

    # the finished checkpoint replays the whole search: nothing new to log
    logger = MLflowLogger("resume", tracking_uri=store, log_model=False)
    with logger.track(search):
        search.fit(X, y)
    assert len(_search_runs(store, "resume")) == 1
    assert len(_candidates(store, "resume", parent.info.run_id)) == len(
        search.cv_results_["params"])

    # another search on a new file at the same path is another run
    os.remove(checkpoint)
    other = _bayes(logger, checkpoint=checkpoint, random_state=1)
    with logger.track(other):
        other.fit(X, y)
    assert len(_search_runs(store, "resume")) == 2
    _check_candidates(_candidates(store, "resume", logger.run_id_), other.cv_results_)


def test_log_search_logs_a_search_fitted_without_the_callback(store):
    X, y = _data()
    search = _bayes(None, callbacks=None).fit(X, y)
    logger = MLflowLogger("after", tracking_uri=store, log_model=False)
    run_id = logger.log_search(search)
    (parent,) = _search_runs(store, "after")
    assert parent.info.run_id == run_id
    _check_candidates(_candidates(store, "after", run_id), search.cv_results_)
    # the same fit again: nothing logged twice
    assert logger.log_search(search) == run_id
    assert len(_search_runs(store, "after")) == 1
    with pytest.raises(ValueError, match="fitted search"):
        logger.log_search(_bayes(None))


def test_nested_in_the_active_run(store, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    X, y = _data()
    logger = MLflowLogger(log_model=False)  # MLflow's own store and experiment
    search = _bayes(logger, n_iter=2)
    with mlflow.start_run() as outer:
        with logger.track(search):
            search.fit(X, y)
    run = MlflowClient(store).get_run(logger.run_id_)
    assert run.data.tags["mlflow.parentRunId"] == outer.info.run_id
    assert run.info.experiment_id == outer.info.experiment_id


def test_a_store_that_fails_warns_once_and_the_search_completes(store, tmp_path):
    X, y = _data()
    expected = _bayes(None, callbacks=None).fit(X, y).cv_results_
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    logger = MLflowLogger("x", tracking_uri=(blocker / "mlruns").as_uri())
    search = _bayes(logger)
    with pytest.warns(MLflowLoggingWarning, match="MLflow logging failed") as caught:
        with logger.track(search):
            search.fit(X, y)
    assert sum(w.category is MLflowLoggingWarning for w in caught) == 1
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"],
                                  expected["mean_test_score"])
    assert logger.log_search(search) is None  # this fit is not tried again

    # the store breaks in the middle of the search
    def break_store(search, record):
        if record["iteration"] == 1:
            shutil.rmtree(tmp_path / "mlruns")
            (tmp_path / "mlruns").write_text("gone")

    logger = MLflowLogger("y", tracking_uri=store, log_model=False)
    search = _bayes(logger, callbacks=[break_store, logger])
    with pytest.warns(MLflowLoggingWarning) as caught:
        with logger.track(search):
            search.fit(X, y)
    assert sum(w.category is MLflowLoggingWarning for w in caught) == 1
    assert search.stop_reason_ == "n_iter"
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"],
                                  expected["mean_test_score"])

    # on_error="raise" lets the store's error end the search
    logger = MLflowLogger("x", tracking_uri=(blocker / "mlruns").as_uri(),
                          on_error="raise")
    with pytest.raises(Exception) as raised:
        _bayes(logger).fit(X, y)
    assert not isinstance(raised.value, MLflowLoggingWarning)


def test_the_logger_survives_clone_and_pickle(store):
    X, y = _data()
    logger = MLflowLogger("copies", tracking_uri=store, log_model=False)
    search = _bayes(logger, n_iter=2).fit(X, y)
    copy = pickle.loads(pickle.dumps(logger))
    assert copy.run_id_ is None and copy.tracking_uri == store
    assert "MLflowLogger(experiment='copies'" in repr(clone(search))
    with pytest.raises(ValueError, match="on_error"):
        MLflowLogger(on_error="ignore")


def test_importing_sklstm_does_not_import_mlflow():
    code = ("import sys, sklstm, sklstm.tracking, sklstm.search; "
            "assert 'mlflow' not in sys.modules, 'mlflow was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_mlflow_the_logger_says_what_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_mlflow(name, *args, **kwargs):
        if name == "mlflow" or name.startswith("mlflow."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    for name in [n for n in sys.modules if n == "mlflow" or n.startswith("mlflow.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(builtins, "__import__", no_mlflow)
    with pytest.raises(ImportError, match=r'pip install "sklstm\[mlflow\]"'):
        MLflowLogger("x")
    with pytest.raises(ImportError, match=r'pip install "sklstm\[mlflow\]"'):
        load_model("0123")
