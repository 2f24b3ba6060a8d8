"""Experiment tracking of the searches with MLflow.

:class:`MLflowLogger` is a search callback (``callbacks=`` of
:class:`~sklstm.search.BayesSearchCV` and
:class:`~sklstm.search.GeneticSearchCV`) that records a search in an MLflow
tracking store as it runs: one *search run* per ``fit``, and one nested
*candidate run* per row of ``cv_results_`` (its parameters, mean, spread and
per-fold scores, fit times and, with multi-fidelity search, the epochs and
rung it reached). :meth:`MLflowLogger.log_search`, called after ``fit``,
adds what exists only once the search has ended (the re-scored rows, the
final ranking, the chosen parameters and score, the refitted model) and
closes the search run; :meth:`MLflowLogger.track` does the same around a
``fit`` and marks the run failed if the ``fit`` raises.

MLflow is optional (``pip install "sklstm[mlflow]"``) and imported only when
a logger is created: importing this module does not import it.

A tracking store that fails (a server that is down, a full disk) never
stops a search: the logger warns once with :class:`MLflowLoggingWarning`
and logs nothing more for that ``fit`` (``on_error="raise"`` raises
instead). The user guide's page "Tracking experiments with MLflow" shows
what is logged where.
"""

import contextlib
import hashlib
import json
import math
import numbers
import os
import re
import tempfile
import time
import weakref

import numpy as np

from ._warnings import warn_caller

__all__ = ["MLflowLogger", "MLflowLoggingWarning", "load_model"]

_INSTALL_HINT = (
    'MLflowLogger needs MLflow, an optional dependency of sklstm: pip install '
    '"sklstm[mlflow]" (or pip install mlflow-skinny).'
)

#: artifact path of the refitted best estimator in a search run
MODEL_ARTIFACT = "model/best_estimator.sklstm"

# MLflow's limits (since 3.0) on one log_batch call (params and tags, all
# entities) and on the length of a param and a tag value: a longer value
# (the repr of an estimator searched over as a choice) is cut rather than
# refused
_MAX_PARAMS_PER_BATCH = 100
_MAX_ENTITIES_PER_BATCH = 1000
_MAX_PARAM_LENGTH = 6000
_MAX_TAG_LENGTH = 8000

# characters MLflow accepts in a param or metric name (on every platform)
_BAD_NAME_CHARS = re.compile(r"[^/\w.\- ]")

# cv_results_ columns that are not one number per candidate worth a metric:
# the ranks change whenever rows are added (they are logged once, at the
# end), the parameters are params, "rescored" is a tag
_NOT_METRICS = re.compile(r"^(params|param_.*|rank_.*|rescored)$")

# columns that exist only in the final cv_results_ (added after the search
# loop), logged on every candidate run by log_search
_FINAL_ONLY = re.compile(r"^(rank_.*|rescored_mean_.*)$")

# tags of the logger's own bookkeeping
_ROLE = "sklstm.role"
_ROW = "sklstm.row"
_DIGEST = "sklstm.params_digest"
_CHECKPOINT = "sklstm.checkpoint"
_PARENT = "mlflow.parentRunId"


class MLflowLoggingWarning(UserWarning):
    """Logging to MLflow failed; the search went on without it.

    Issued once per ``fit`` by :class:`MLflowLogger` when the tracking store
    raises (and when the best model cannot be stored); the message names
    the error. Nothing more of that ``fit`` is logged.
    """


def _import_mlflow():
    """The MLflow names the logger uses, or an ImportError saying what to install."""
    try:
        import mlflow
        import mlflow.artifacts
        from mlflow.entities import Metric, Param, RunTag
        from mlflow.tracking import MlflowClient
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return mlflow, MlflowClient, Metric, Param, RunTag


# ---------------------------------------------------------------- helpers
def _name(text):
    """``text`` as an MLflow param or metric name (odd characters become _)."""
    return _BAD_NAME_CHARS.sub("_", str(text))[:250]


def _value(value, limit=_MAX_TAG_LENGTH):
    """A param or tag value: its text (``str``, as MLflow writes it), cut to
    ``limit`` characters."""
    text = str(value)
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


def _number(value):
    """``value`` as a float for a metric, or None if it is no real number."""
    if isinstance(value, (bool, np.bool_)) or np.ma.is_masked(value):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    return None


def _digest(results, row):
    """A fingerprint of a row of ``cv_results_``: its parameters and mean scores.

    Used to tell, when a checkpointed search resumes, that the candidate
    runs already in the store are the rows the search replays (a replayed
    row has the same parameters, seeds included, and bit-identical scores).
    """
    # through _plain: a resumed search rebuilds the values from the
    # checkpoint's JSON, so a numpy integer may come back as a Python one
    content = {"params": results["params"][row]}
    for key in results:
        if key.startswith("mean_test_"):
            content[key] = _cell(results, key, row)
    text = json.dumps(_plain(content), sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()


def _n_rows(results):
    return 0 if not results else len(results["params"])


def _cell(results, key, row):
    column = results[key]
    try:
        return column[row]
    except (TypeError, IndexError, KeyError):
        return None


def _plain(value):
    """``value`` as JSON-ready data (arrays as lists, other objects as repr)."""
    if isinstance(value, np.ma.MaskedArray):
        return [None if m else _plain(v) for v, m in
                zip(value.data.tolist(), np.ma.getmaskarray(value).tolist())]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return repr(value)


class _Fit:
    """What the logger knows about the ``fit`` it is logging."""

    def __init__(self, search, client=None, experiment_id=None, run_id=None):
        self.search = weakref.ref(search)
        self.client = client
        self.experiment_id = experiment_id
        self.run_id = run_id  # the search run (None while not started)
        self.logged = {}  # cv_results_ row -> run id of its candidate run
        self.last_round = None  # the last batch or generation number seen
        self.n_rows = 0
        self.step = -1  # the last step of the search run's progress metrics
        self.broken = False  # a store error stopped the logging of this fit
        self.closed = False
        self.final = None  # the cv_results_ that log_search logged

    def same_fit(self, search, round_, n_rows):
        """Whether a callback call continues this fit (not a new ``fit``).

        A new ``fit`` of the same search starts its batch numbers over (at
        0) and its result table empty, so a number that does not increase,
        or fewer rows than seen, means a new fit.
        """
        if self.closed or self.search() is not search:
            return False
        if n_rows < self.n_rows:
            return False
        if round_ is not None and self.last_round is not None:
            return round_ > self.last_round
        return True


# ----------------------------------------------------------------- logger
class MLflowLogger:
    """Log every candidate of a search, and its best model, to MLflow.

    A callback for the ``callbacks`` parameter of
    :class:`~sklstm.search.BayesSearchCV` and
    :class:`~sklstm.search.GeneticSearchCV`. Each ``fit`` of the search
    gets one MLflow run, the *search run*, and every candidate (every row of
    ``cv_results_``) one run nested in it, logged once, after the batch or
    generation that evaluated it:

    * candidate runs: the candidate's parameters (MLflow params), every
      numeric ``cv_results_`` column of its row as a metric
      (``mean_test_<metric>``, ``std_test_<metric>``,
      ``split<k>_test_<metric>``, train scores, ``mean_fit_time``, ..., the
      batch number ``iteration`` or ``generation``, and with
      ``resource="max_epochs"`` the epochs ``n_resources``, the ``rung`` and
      the ``rung<k>_mean_test_<metric>`` scores), the tag ``sklstm.row``
      (its row in ``cv_results_``) and ``sklstm.rescored``. A candidate
      whose fits all failed ends with status FAILED.
    * the search run: the searcher's own scalar parameters and the
      estimator's class as params; after every batch, at the step of its
      number, every number of the callback record as a metric
      (``best_score``, ``n_candidates``, ``n_fits``, ``elapsed``, and the
      genetic search's population statistics), and the best parameters so
      far as tags ``best.<name>``.

    Call :meth:`log_search` after ``fit`` (or wrap ``fit`` in
    :meth:`track`): the search's last steps (re-scoring the best
    candidates, choosing and refitting one) come after the last callback.
    It logs the rows added by them, each candidate's final ``rank_test_*``
    (and ``rescored_mean_test_*``), the final ``best_score``, best
    parameters, ``best_index``, ``stop_reason``, timings, a
    ``cv_results.json`` artifact and, with ``log_model``, the refitted
    ``best_estimator_``; then it ends the search run. It can also log a
    search fitted without the callback.

    Parameters
    ----------
    experiment : str, default=None
        Name of the MLflow experiment, created if missing. ``None``: the
        experiment of the active MLflow run if there is one, else that of
        the ``MLFLOW_EXPERIMENT_ID`` or ``MLFLOW_EXPERIMENT_NAME``
        environment variable, else MLflow's default experiment.
    tracking_uri : str, default=None
        Where to log (``"file:///path/mlruns"``, ``"sqlite:///mlflow.db"``,
        ``"http://host:5000"``); ``None`` is MLflow's own choice
        (``MLFLOW_TRACKING_URI``, or its default).
    run_name : str, default=None
        Name of the search run; ``None`` names it after the searcher's class.
    log_model : bool, default=True
        Whether :meth:`log_search` stores the refitted ``best_estimator_``
        as the artifact ``model/best_estimator.sklstm``, written by
        :func:`sklstm.persistence.save` (a zip of JSON and ``.npy`` arrays
        that loads without running code; see :func:`load_model`). An
        estimator that format refuses is not stored, with a warning.
    trusted : sequence of class or str, default=()
        More classes the model file may hold, as for
        :func:`sklstm.persistence.save`.
    tags : dict, default=None
        More tags for the search run.
    parent_run_id : str, default=None
        Run to nest the search run in. ``None``: the active MLflow run, if
        there is one and ``tracking_uri`` is ``None``; else none.
    on_error : {"warn", "raise"}, default="warn"
        What a failure of the tracking store does: ``"warn"`` issues one
        :class:`MLflowLoggingWarning` and logs nothing more of that ``fit``,
        so a long search is never lost to its tracking; ``"raise"`` lets the
        error through, which ends the search.

    Attributes
    ----------
    run_id_ : str or None
        Id of the search run of the current or last ``fit`` (None before
        one was created, or when creating it failed).

    Raises
    ------
    ImportError
        If MLflow is not installed.

    Notes
    -----
    Each candidate is logged once: the logger remembers which rows of
    ``cv_results`` it has logged. A new ``fit`` (its batch numbers start
    over) starts a new search run, and ends the previous one as FINISHED
    if :meth:`log_search` did not. A search with a ``checkpoint`` is one
    search run however often it is resumed: the run is tagged with the
    checkpoint's path, a later ``fit`` with the same checkpoint continues
    it, and the candidates it already holds (checked by their parameters)
    are not logged again.

    The callback never stops the search (it returns False). One logger
    logs one search at a time.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from mlflow.tracking import MlflowClient
    >>> from skopt.space import Integer
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklstm.search import BayesSearchCV
    >>> from sklstm.tracking import MLflowLogger
    >>> os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow >= 3.10 asks it
    >>> store = "file:" + os.path.join(tempfile.mkdtemp(), "mlruns")
    >>> logger = MLflowLogger("trees", tracking_uri=store, log_model=False)
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.normal(size=(40, 3)), rng.randint(2, size=40)
    >>> search = BayesSearchCV(DecisionTreeClassifier(), {"max_depth": Integer(1, 6)},
    ...                        n_iter=4, n_points=2, cv=2, random_state=0,
    ...                        callbacks=logger)
    >>> with logger.track(search):
    ...     search = search.fit(X, y)
    >>> client = MlflowClient(store)
    >>> experiment = client.get_experiment_by_name("trees").experiment_id
    >>> candidates = client.search_runs(
    ...     [experiment], f"tags.mlflow.parentRunId = '{logger.run_id_}'")
    >>> len(candidates) == len(search.cv_results_["params"])
    True
    >>> summary = client.get_run(logger.run_id_).data
    >>> summary.metrics["best_score"] == float(search.best_score_)
    True
    >>> summary.tags["best.max_depth"] == str(search.best_params_["max_depth"])
    True
    >>> del os.environ["MLFLOW_ALLOW_FILE_STORE"]
    """

    def __init__(self, experiment=None, *, tracking_uri=None, run_name=None,
                 log_model=True, trusted=(), tags=None, parent_run_id=None,
                 on_error="warn"):
        if on_error not in ("warn", "raise"):
            raise ValueError(f"on_error must be 'warn' or 'raise', got {on_error!r}.")
        _import_mlflow()  # fail here, before a long search, not after it
        self.experiment = experiment
        self.tracking_uri = tracking_uri
        self.run_name = run_name
        self.log_model = log_model
        self.trusted = trusted
        self.tags = tags
        self.parent_run_id = parent_run_id
        self.on_error = on_error
        self._fit = None

    def __repr__(self):
        return (f"{type(self).__name__}(experiment={self.experiment!r}, "
                f"tracking_uri={self.tracking_uri!r}, log_model={self.log_model!r})")

    # a search is cloned (deep-copied) by scikit-learn and may be pickled:
    # the copy gets the settings, not the store connection or this fit's state
    def __getstate__(self):
        state = dict(self.__dict__)
        state["_fit"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    @property
    def run_id_(self):
        """Id of the search run of the current or last ``fit`` (or None)."""
        return None if self._fit is None else self._fit.run_id

    # -- the callback ----------------------------------------------------------
    def __call__(self, search, record):
        """Log the candidates of the batch or generation that just ended.

        Parameters
        ----------
        search : BayesSearchCV or GeneticSearchCV
            The search being fitted.
        record : dict
            The callback record (``cv_results``, ``best_score``,
            ``best_params``, the batch number ``iteration`` or
            ``generation``, ``n_fits``, ...).

        Returns
        -------
        stop : bool
            Always False: logging never stops a search.
        """
        results = record.get("cv_results")
        round_ = record.get("iteration", record.get("generation"))
        fit = self._fit
        if fit is None or not fit.same_fit(search, round_, _n_rows(results)):
            self._begin(search, results)
            fit = self._fit
        if not fit.broken:
            try:
                self._log_candidates(fit, results)
                self._log_progress(fit, record, round_)
            except Exception as exc:  # noqa: BLE001 - see on_error
                self._failed(fit, exc, "logging a batch")
        fit.last_round = round_
        fit.n_rows = max(fit.n_rows, _n_rows(results))
        return False

    # -- after fit -------------------------------------------------------------
    def log_search(self, search):
        """Log the end of a fitted search and end its search run.

        Logs the candidates not logged yet (all of them if the logger was
        not the search's callback), the final ranks, the best parameters
        and score, the stop reason, the timings, ``cv_results.json`` and,
        with ``log_model``, the refitted best estimator.

        Parameters
        ----------
        search : BayesSearchCV or GeneticSearchCV
            The fitted search.

        Returns
        -------
        run_id : str or None
            Id of the search run; None if logging failed (see ``on_error``).
        """
        results = getattr(search, "cv_results_", None)
        if results is None:
            raise ValueError(
                "log_search needs a fitted search: call it after search.fit(X, y)."
            )
        fit = self._fit
        if fit is not None and fit.search() is search and fit.final is results:
            return fit.run_id  # this fit was logged already
        if fit is None or fit.closed or fit.search() is not search:
            self._begin(search, results)
            fit = self._fit
        fit.final = results
        if fit.broken:
            fit.closed = True
            return None
        try:
            self._log_candidates(fit, results)
            self._log_final_columns(fit, results)
            self._log_outcome(fit, search, results)
            if self.log_model and hasattr(search, "best_estimator_"):
                self._log_model(fit, search.best_estimator_)
            fit.client.set_terminated(fit.run_id, "FINISHED")
        except Exception as exc:  # noqa: BLE001 - see on_error
            self._failed(fit, exc, "logging the end of the search")
            return None
        finally:
            fit.closed = True
        return fit.run_id

    @contextlib.contextmanager
    def track(self, search):
        """Context manager: :meth:`log_search` after a ``fit`` that succeeds.

        If the block raises, the search run ends with status FAILED (KILLED
        for a ``KeyboardInterrupt``) and the exception goes on.

        Parameters
        ----------
        search : BayesSearchCV or GeneticSearchCV
            The search fitted in the block.

        Yields
        ------
        logger : MLflowLogger
            This logger.
        """
        before = self._fit
        try:
            yield self
        except BaseException as exc:
            fit = self._fit
            # only the run of a fit that started in the block
            if (fit is not None and fit is not before and fit.search() is search
                    and fit.run_id and not fit.broken and not fit.closed):
                status = "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"
                try:
                    fit.client.set_terminated(fit.run_id, status)
                except Exception as store_exc:  # noqa: BLE001 - see on_error
                    self._failed(fit, store_exc, "ending the search run")
                fit.closed = True
            raise
        self.log_search(search)

    # -- the search run --------------------------------------------------------
    def _begin(self, search, results):
        """Start (or, for a checkpointed search, continue) the search run of a fit."""
        previous = self._fit
        if (previous is not None and previous.run_id and not previous.closed
                and not previous.broken):
            try:
                previous.client.set_terminated(previous.run_id, "FINISHED")
            except Exception as exc:  # noqa: BLE001 - see on_error
                self._failed(previous, exc, "ending the previous search run")
        self._fit = fit = _Fit(search)
        try:
            mlflow, MlflowClient, _, _, _ = _import_mlflow()
            fit.client = MlflowClient(tracking_uri=self.tracking_uri)
            fit.experiment_id = self._experiment_id(mlflow, fit.client)
            checkpoint = getattr(search, "checkpoint", None)
            if checkpoint is not None:
                checkpoint = os.path.abspath(os.fspath(checkpoint))
                if self._resume(fit, checkpoint, results):
                    return
            self._create_search_run(mlflow, fit, search, checkpoint)
        except Exception as exc:  # noqa: BLE001 - see on_error
            self._failed(fit, exc, "starting the search run")

    def _experiment_id(self, mlflow, client):
        if self.experiment is not None:
            found = client.get_experiment_by_name(self.experiment)
            if found is not None:
                return found.experiment_id
            return client.create_experiment(self.experiment)
        active = mlflow.active_run() if self.tracking_uri is None else None
        if active is not None:
            return active.info.experiment_id
        if os.environ.get("MLFLOW_EXPERIMENT_ID"):
            return os.environ["MLFLOW_EXPERIMENT_ID"]
        name = os.environ.get("MLFLOW_EXPERIMENT_NAME")
        if name:
            found = client.get_experiment_by_name(name)
            return found.experiment_id if found else client.create_experiment(name)
        return "0"  # MLflow's default experiment

    def _create_search_run(self, mlflow, fit, search, checkpoint):
        tags = {_ROLE: "search", "sklstm.searcher": type(search).__name__}
        parent = self.parent_run_id
        if parent is None and self.tracking_uri is None:
            active = mlflow.active_run()
            parent = active.info.run_id if active is not None else None
        if parent is not None:
            tags[_PARENT] = parent
        if checkpoint is not None:
            tags[_CHECKPOINT] = checkpoint
        tags.update({str(k): _value(v) for k, v in (self.tags or {}).items()})
        run = fit.client.create_run(
            fit.experiment_id, tags=tags,
            run_name=self.run_name or type(search).__name__,
        )
        fit.run_id = run.info.run_id
        # the searcher's own settings: what a search run is run with
        params = {"estimator": type(search.estimator).__name__}
        for key, value in search.get_params(deep=False).items():
            if key in ("estimator", "search_spaces", "callbacks"):
                continue
            if value is None or isinstance(value, (str, numbers.Number)):
                params[key] = value
        self._log_batch(fit, fit.run_id, params=params)

    def _resume(self, fit, checkpoint, results):
        """Continue the search run of an earlier fit with the same checkpoint.

        Only if its candidate runs are the first rows of ``results`` (same
        parameters and scores): a checkpoint file deleted and written again
        by another search gets a new run. Candidate runs that never ended (the process
        died while logging them) are deleted and logged again.
        """
        quote = "'" if "'" not in checkpoint else '"'
        if quote in checkpoint:
            return False
        runs = fit.client.search_runs(
            [fit.experiment_id],
            filter_string=(f"tags.`{_CHECKPOINT}` = {quote}{checkpoint}{quote} "
                           f"and tags.`{_ROLE}` = 'search'"),
            max_results=1, order_by=["attributes.start_time DESC"],
        )
        if not runs:
            return False
        run_id = runs[0].info.run_id
        logged, unfinished = {}, []
        for child in self._children(fit.client, fit.experiment_id, run_id):
            row = child.data.tags.get(_ROW)
            if row is None or child.info.status == "RUNNING":
                unfinished.append(child.info.run_id)
                continue
            logged[int(row)] = (child.info.run_id, child.data.tags.get(_DIGEST))
        n_rows = _n_rows(results)
        for row, (_, digest) in logged.items():
            if row < n_rows and _digest(results, row) != digest:
                return False
        for child_id in unfinished:
            fit.client.delete_run(child_id)
        fit.run_id = run_id
        fit.logged = {row: child_id for row, (child_id, _) in logged.items()}
        history = fit.client.get_metric_history(run_id, "best_score")
        fit.step = max((m.step for m in history), default=-1)
        fit.client.update_run(run_id, status="RUNNING")
        return True

    @staticmethod
    def _children(client, experiment_id, run_id):
        token = None
        while True:
            page = client.search_runs(
                [experiment_id], filter_string=f"tags.`{_PARENT}` = '{run_id}'",
                max_results=1000, page_token=token,
            )
            yield from page
            token = page.token
            if not token:
                return

    # -- logging ---------------------------------------------------------------
    def _log_batch(self, fit, run_id, params=None, metrics=None, tags=None):
        """Log in as few calls as MLflow's per-call limits allow.

        ``metrics`` maps a name to ``(value, step)``.
        """
        _, _, Metric, Param, RunTag = _import_mlflow()
        now = int(1000 * time.time())
        named = [Param(_name(k), _value(v, _MAX_PARAM_LENGTH))
                 for k, v in (params or {}).items()]
        named += [RunTag(_name(k), _value(v)) for k, v in (tags or {}).items()]
        values = [Metric(_name(k), v, now, step)
                  for k, (v, step) in (metrics or {}).items()]
        while named or values:
            head, named = named[:_MAX_PARAMS_PER_BATCH], named[_MAX_PARAMS_PER_BATCH:]
            room = _MAX_ENTITIES_PER_BATCH - len(head)
            some, values = values[:room], values[room:]
            fit.client.log_batch(
                run_id, metrics=some,
                params=[e for e in head if isinstance(e, Param)],
                tags=[e for e in head if isinstance(e, RunTag)],
            )

    def _log_candidates(self, fit, results):
        """One candidate run per row of ``results`` not logged yet."""
        if not results:
            return
        keys = [k for k in results if not _NOT_METRICS.match(k)
                and not _FINAL_ONLY.match(k)]
        for row, params in enumerate(results["params"]):
            if row in fit.logged:
                continue
            metrics = {}
            for key in keys:
                value = _number(_cell(results, key, row))
                if value is not None:
                    metrics[key] = (value, 0)
            rescored = "rescored" in results and bool(_cell(results, "rescored", row))
            run = fit.client.create_run(
                fit.experiment_id, run_name=f"candidate-{row}",
                tags={_PARENT: fit.run_id, _ROLE: "candidate", _ROW: str(row),
                      _DIGEST: _digest(results, row),
                      "sklstm.rescored": str(rescored).lower()},
            )
            child = run.info.run_id
            self._log_batch(fit, child, params=params, metrics=metrics)
            scores = [v for k, (v, _) in metrics.items() if k.startswith("mean_test_")]
            failed = bool(scores) and not any(math.isfinite(v) for v in scores)
            # ended last: a candidate run still RUNNING was cut short (see _resume)
            fit.client.set_terminated(child, "FAILED" if failed else "FINISHED")
            fit.logged[row] = child

    def _log_progress(self, fit, record, round_):
        """The search's state after a batch, at the batch's step of the search run.

        The step is the batch (generation) number; a resumed search replays
        batches whose steps the run already holds, and they are not
        logged twice.
        """
        step = round_ if isinstance(round_, numbers.Integral) else fit.step + 1
        if step <= fit.step:
            return
        fit.step = int(step)
        metrics = {}
        for key, value in record.items():
            value = _number(value)
            if key not in ("iteration", "generation") and value is not None \
                    and math.isfinite(value):
                metrics[key] = (value, fit.step)
        best = record.get("best_params") or {}
        self._log_batch(fit, fit.run_id, metrics=metrics,
                        tags={f"best.{k}": v for k, v in best.items()})

    def _log_final_columns(self, fit, results):
        """The final ranks (and re-scored means) of every candidate."""
        keys = [k for k in results if _FINAL_ONLY.match(k)]
        if not keys:
            return
        for row, child in fit.logged.items():
            if row >= _n_rows(results):
                continue
            metrics = {}
            for key in keys:
                value = _number(_cell(results, key, row))
                if value is not None and math.isfinite(value):
                    metrics[key] = (value, 0)
            if metrics:
                self._log_batch(fit, child, metrics=metrics)

    def _log_outcome(self, fit, search, results):
        """What the search chose, on the search run."""
        fit.step += 1
        metrics, tags = {}, {}
        for attr, key in (("best_score_", "best_score"), ("best_index_", "best_index"),
                          ("n_fits_", "n_fits"), ("refit_time_", "refit_time"),
                          ("search_overhead_", "search_overhead"),
                          ("n_epochs_spent_", "n_epochs_spent")):
            value = _number(getattr(search, attr, None))
            if value is not None and math.isfinite(value):
                metrics[key] = (value, fit.step)
        metrics["n_candidates"] = (float(_n_rows(results)), fit.step)
        for part, seconds in (getattr(search, "timings_", None) or {}).items():
            value = _number(seconds)
            if value is not None:
                metrics[f"time_{part}"] = (value, fit.step)
        best = getattr(search, "best_params_", None)
        if best is not None:
            tags.update({f"best.{k}": v for k, v in best.items()})
            text = json.dumps(_plain(best), sort_keys=True)
            if len(text) <= _MAX_TAG_LENGTH:  # cut, it would not be JSON
                tags["sklstm.best_params"] = text
        index = getattr(search, "best_index_", None)
        if index is not None and int(index) in fit.logged:
            tags["sklstm.best_run_id"] = fit.logged[int(index)]
        for attr in ("stop_reason_", "kept_estimator_"):
            if hasattr(search, attr):
                tags[f"sklstm.{attr.rstrip('_')}"] = str(getattr(search, attr))
        if hasattr(search, "n_resources_"):
            tags["sklstm.n_resources"] = json.dumps(_plain(search.n_resources_))
        self._log_batch(fit, fit.run_id, metrics=metrics, tags=tags)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "cv_results.json")
            with open(path, "w") as handle:
                json.dump(_plain(results), handle)
            fit.client.log_artifact(fit.run_id, path)

    def _log_model(self, fit, estimator):
        """The refitted best estimator, in sklstm's safe model format."""
        from .persistence import UntrustedTypeError, save

        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, os.path.basename(MODEL_ARTIFACT))
            try:
                save(estimator, path, trusted=self.trusted)
            except UntrustedTypeError as exc:
                warn_caller(
                    f"The best model was not logged to MLflow: {exc} (pass "
                    "trusted= to MLflowLogger, or log_model=False).",
                    MLflowLoggingWarning,
                )
                return
            fit.client.log_artifact(fit.run_id, path,
                                    artifact_path=os.path.dirname(MODEL_ARTIFACT))
        fit.client.set_tag(fit.run_id, "sklstm.model", MODEL_ARTIFACT)

    def _failed(self, fit, exc, what):
        """A store error: raise (``on_error="raise"``) or warn once and stop."""
        if self.on_error == "raise":
            raise exc
        if not fit.broken:
            warn_caller(
                f"MLflow logging failed while {what} ({type(exc).__name__}: "
                f"{exc}). The search goes on; nothing more of this fit is logged.",
                MLflowLoggingWarning,
            )
        fit.broken = True


def load_model(run_id, *, tracking_uri=None, trusted=()):
    """Load the best model that :class:`MLflowLogger` stored in a search run.

    Parameters
    ----------
    run_id : str
        Id of the search run (``MLflowLogger.run_id_``, or as MLflow shows it).
    tracking_uri : str, default=None
        The tracking store, as given to the logger.
    trusted : sequence of class or str, default=()
        More classes to accept, as given to the logger
        (see :func:`sklstm.persistence.load`).

    Returns
    -------
    estimator : estimator
        The refitted ``best_estimator_`` of the search.

    Raises
    ------
    ImportError
        If MLflow is not installed.
    """
    mlflow = _import_mlflow()[0]
    from .persistence import load

    with tempfile.TemporaryDirectory() as folder:
        # the run's whole artifact folder (the model and cv_results.json):
        # asking for one path goes through a "runs:/" URI, which MLflow 3.0
        # resolves against the global tracking URI instead of this one
        root = mlflow.artifacts.download_artifacts(
            run_id=run_id, tracking_uri=tracking_uri, dst_path=folder)
        return load(os.path.join(root, *MODEL_ARTIFACT.split("/")), trusted=trusted)
