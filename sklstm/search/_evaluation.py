"""Fitting and scoring one candidate on one cross-validation split.

The searchers own their fit loop, so the per-split work that scikit-learn's
``GridSearchCV`` does internally is written here with public pieces: the
fold's rows are taken, the estimator is fitted (or its training continued),
and the scorer built by :func:`sklearn.metrics.check_scoring` is called on
the test rows (and on the training rows with ``return_train_score``).

Each result is an *entry*, a dict in the per-split format of scikit-learn's
searches: ``fit_error`` (None, or the formatted traceback of a failed fit),
``test_scores`` (a float, or a dict by metric), ``train_scores`` (with
``return_train_score``), ``n_test_samples``, ``fit_time`` and ``score_time``.
A fit that fails is recorded with ``error_score`` unless ``error_score`` is
``"raise"``; ``KeyboardInterrupt`` and other non-``Exception`` errors always
propagate, so Ctrl-C ends a search.
"""

import numbers
import time
import warnings
from traceback import format_exc

import numpy as np
from joblib.logger import short_format_time
from sklearn.utils import get_tags

from .._sklearn_compat import safe_indexing
from ._distributed import resolve

__all__ = []


def n_samples(X):
    """Number of rows of an array, a data frame or a list of sequences."""
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape):
        return int(shape[0])
    return len(X)


def _rows_of(value, indices, n):
    """The rows ``indices`` of a value aligned with the samples, else the value."""
    if value is None or isinstance(value, (str, bytes)) or np.isscalar(value):
        return value
    if not (hasattr(value, "__len__") or hasattr(value, "shape")):
        return value
    try:
        if n_samples(value) != n:
            return value
    except TypeError:
        return value
    return safe_indexing(value, indices)


class FoldPlan:
    """The splits, parameters and scorer that every fold fit shares.

    The data itself (``X``, ``y``) travels beside it, as arguments of their
    own, so that a parallel backend can send it once (see ``_distributed``).

    Parameters
    ----------
    n_samples : int
        Number of samples of the data.
    splits : list of (ndarray, ndarray)
        Train and test indices of each split.
    fit_params, score_params : dict
        Parameters of the estimator's ``fit`` and of the scorer; values with
        one entry per sample are split with the data.
    scorer : callable
        A scorer from :func:`sklearn.metrics.check_scoring` (returning a dict
        for several metrics), or the user's callable.
    metric_names : list of str or None
        Names of the metrics when ``scorer`` scores several; None otherwise.
    error_score : "raise" or float
        Score of a failed fit.
    return_train_score : bool
        Whether to score the training rows too.
    """

    def __init__(self, n_samples, splits, fit_params, score_params, scorer,
                 metric_names, error_score, return_train_score):
        self.splits = splits
        self.fit_params = dict(fit_params or {})
        self.score_params = dict(score_params or {})
        self.scorer = scorer
        self.metric_names = metric_names
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.n_samples = n_samples

    @property
    def n_splits(self):
        return len(self.splits)

    @staticmethod
    def take(estimator, X, y, indices, train_indices=None):
        """``X`` and ``y`` rows of ``indices`` (a square block for a pairwise
        estimator, whose test rows are compared with the training rows)."""
        if get_tags(estimator).input_tags.pairwise:
            if not hasattr(X, "shape") or len(X.shape) != 2 or X.shape[0] != X.shape[1]:
                raise ValueError(
                    "A pairwise estimator needs a square kernel or affinity matrix "
                    "as X."
                )
            columns = indices if train_indices is None else train_indices
            X_part = X[np.ix_(indices, columns)]
        else:
            X_part = safe_indexing(X, indices)
        y_part = None if y is None else safe_indexing(y, indices)
        return X_part, y_part

    def params_for(self, params, indices):
        return {name: _rows_of(value, indices, self.n_samples)
                for name, value in params.items()}

    def error_scores(self):
        """The scores of a failed fit: ``error_score``, by metric where known."""
        if self.metric_names is not None:
            return {name: self.error_score for name in self.metric_names}
        return self.error_score

    def failed_entries(self, message):
        """One entry per split for a candidate whose fits all failed with
        ``message`` (their durations are unknown)."""
        entries = []
        for _, test in self.splits:
            entry = {"fit_error": message, "test_scores": self.error_scores()}
            if self.return_train_score:
                entry["train_scores"] = self.error_scores()
            entry.update(n_test_samples=len(test), fit_time=float("nan"),
                         score_time=float("nan"))
            entries.append(entry)
        return entries


def _as_number(value, what):
    if hasattr(value, "item"):
        try:
            value = value.item()
        except ValueError:
            pass
    if not isinstance(value, numbers.Number):
        raise ValueError(
            f"scoring must return a number, got {value!r} ({type(value).__name__}) "
            f"instead. (scorer={what})"
        )
    return value


def _scoring_failed(error_score, details):
    warnings.warn(
        "Scoring failed. The score on this train-test partition for these "
        f"parameters will be set to {error_score}. Details: \n{details}",
        UserWarning,
    )


def score(estimator, X, y, data, params):
    """Scores of a fitted estimator on ``X``, ``y`` (a float or a dict)."""
    error_score = data.error_score
    try:
        if y is None:
            scores = data.scorer(estimator, X, **params)
        else:
            scores = data.scorer(estimator, X, y, **params)
    except Exception:
        # several metrics: the scorer reports failures itself unless told to
        # raise (error_score="raise")
        if error_score == "raise" or data.metric_names is not None:
            raise
        _scoring_failed(error_score, format_exc())
        scores = error_score
    if isinstance(scores, dict):
        scores = dict(scores)
        for name, value in scores.items():
            if isinstance(value, str):  # the message of a scorer that failed
                _scoring_failed(error_score, value)
                value = error_score
            scores[name] = _as_number(value, name)
        return scores
    return _as_number(scores, data.scorer)


def callback_metadata(fit_params):
    """What scikit-learn's callbacks receive as ``metadata`` for a fit with
    ``fit_params``: ``{"sample_weight": ...}`` when weights are given, else
    None (as ``GridSearchCV`` passes it)."""
    weight = fit_params.get("sample_weight")
    return None if weight is None else {"sample_weight": weight}


def fit_and_score(estimator, X, y, plan, split, train_model=None, callback_ctx=None,
                  caller=None, label=None, verbose=2):
    """Fit ``estimator`` on the training rows of split ``split`` and score it.

    Parameters
    ----------
    estimator : estimator object
        The candidate, with its parameters set (fitted already when
        ``train_model`` continues its training).
    X, y : indexable
        The search's data (``y`` may be None).
    plan : FoldPlan
        Splits, parameters and scorer.
    split : int
        Index of the split.
    train_model : callable, default=None
        ``train_model(estimator, X_train, y_train, fit_params)`` trains the
        estimator; ``estimator.fit`` when None.
    callback_ctx : CallbackContext, default=None
        scikit-learn callback context of this fit (scikit-learn >= 1.9).
    caller : estimator, default=None
        The search, for the callback hooks.
    label : str, default=None
        When given, a line ``[CV i/n] END <label>;, score=...`` is printed
        once the fit is scored (a search's ``verbose >= 2``), as
        scikit-learn's searches print it at ``verbose``.
    verbose : int, default=2
        The search's ``verbose``, for that line.

    Returns
    -------
    entry : dict
        The per-split entry (see the module docstring).
    estimator : estimator or None
        The trained estimator; None when its fit failed.
    """
    data = plan
    X, y = resolve(X), resolve(y)  # references to data shipped once (Ray)
    train, test = data.splits[split]
    fit_params = data.params_for(data.fit_params, train)
    start = time.time()
    X_train, y_train = data.take(estimator, X, y, train)
    X_test, y_test = data.take(estimator, X, y, test, train)
    entry = {}
    metadata = callback_metadata(fit_params)
    try:
        if callback_ctx is not None:
            with callback_ctx.propagate_callback_context(estimator):
                callback_ctx.call_on_fit_task_begin(estimator=caller, X=X_train,
                                                    y=y_train, metadata=metadata)
                _train(estimator, X_train, y_train, fit_params, train_model)
        else:
            _train(estimator, X_train, y_train, fit_params, train_model)
    except Exception:
        fit_time = time.time() - start
        if data.error_score == "raise":
            raise
        entry["fit_error"] = format_exc()
        test_scores = data.error_scores()
        train_scores = data.error_scores()
        score_time = 0.0
        estimator = None
    else:
        entry["fit_error"] = None
        fit_time = time.time() - start
        test_scores = score(estimator, X_test, y_test, data,
                            data.params_for(data.score_params, test))
        score_time = time.time() - start - fit_time
        if data.return_train_score:
            train_scores = score(estimator, X_train, y_train, data,
                                 data.params_for(data.score_params, train))
    finally:
        if callback_ctx is not None:
            callback_ctx.call_on_fit_task_end(estimator=caller, X=X_train, y=y_train,
                                              metadata=metadata)
    entry["test_scores"] = test_scores
    if data.return_train_score:
        entry["train_scores"] = train_scores
    entry["n_test_samples"] = n_samples(X_test)
    entry["fit_time"] = fit_time
    entry["score_time"] = score_time
    if label is not None:
        print(_end_line(label, split, data.n_splits, test_scores,
                        train_scores if data.return_train_score else None,
                        fit_time + score_time, verbose),
              flush=True)
    return entry, estimator


def _end_line(label, split, n_splits, test_scores, train_scores, seconds, verbose):
    """The line scikit-learn's searches print after a fit, in their format:
    the parameters at ``verbose=2``; the split and the scores (the training
    score too with ``return_train_score``) from ``verbose=3``."""
    progress = f" {split + 1}/{n_splits}" if verbose > 2 else ""
    start = f"[CV{progress}] END "
    result = label + (";" if label else "")
    if verbose > 2:
        if isinstance(test_scores, dict):
            for name in sorted(test_scores):
                result += f" {name}: ("
                if train_scores is not None:
                    result += f"train={train_scores[name]:.3f}, "
                result += f"test={test_scores[name]:.3f})"
        elif train_scores is not None:
            result += f", score=(train={train_scores:.3f}, test={test_scores:.3f})"
        else:
            result += f", score={test_scores:.3f}"
    result += f" total time={short_format_time(seconds)}"
    return start + "." * (80 - len(start) - len(result)) + result


def describe_params(params):
    """A candidate's parameters for a progress line, in name order."""
    return ", ".join(f"{name}={params[name]}" for name in sorted(params))


def _train(estimator, X, y, fit_params, train_model):
    if train_model is not None:
        train_model(estimator, X, y, fit_params)
    elif y is None:
        estimator.fit(X, **fit_params)
    else:
        estimator.fit(X, y, **fit_params)


def failure_summary(entries):
    """The distinct errors of the failed entries, most frequent first."""
    counts = {}
    for entry in entries:
        error = entry.get("fit_error")
        if error is not None:
            counts[error] = counts.get(error, 0) + 1
    delimiter = "-" * 80 + "\n"
    return "\n".join(
        f"{delimiter}{count} fits failed with the following error:\n{error}"
        for error, count in sorted(counts.items(), key=lambda item: -item[1])
    )
