"""The rows of one search, and ``cv_results_`` made from them.

:class:`ResultTable` is the one owner of what a search records: one
:class:`Row` per candidate, in the order the candidates were evaluated,
whether they were cross-validated now, replayed from a checkpoint, failed
in every fit, stopped at a low rung of a multi-fidelity schedule or re-scored.
Checkpointing stores rows and hands them back; multi-fidelity search builds
rows; nothing else keeps rows of its own.

:meth:`ResultTable.format` lays the rows out as scikit-learn's searches lay
out ``cv_results_`` (extra columns first, then the times, ``param_<name>``
masked arrays, ``params``, the per-split, mean, standard deviation and rank
columns of every metric), with scikit-learn's formulas, so that the results
read exactly as those of ``GridSearchCV``.
"""

import math

import numpy as np
from numpy.ma import MaskedArray
from scipy.stats import rankdata

__all__ = []


class Row:
    """One candidate of a search.

    Parameters
    ----------
    params : dict
        The candidate's parameters.
    entries : list of dict
        Its per-split entries (see :mod:`sklstm.search._evaluation`).
    extra : dict
        Its values of the extra ``cv_results_`` columns.
    """

    __slots__ = ("params", "entries", "extra")

    def __init__(self, params, entries, extra):
        self.params = params
        self.entries = list(entries)
        self.extra = dict(extra)

    @property
    def failed(self):
        """Whether any of its fits failed."""
        return any(entry.get("fit_error") is not None for entry in self.entries)


def is_rung_score_column(name):
    """Whether a column holds a per-rung score (``rung<k>_mean_test_<metric>``)."""
    return name.startswith("rung") and "_mean_test_" in name


def objective_name(names, refit):
    """The metric a search maximises among ``names``.

    The refit metric when ``refit`` names one; otherwise the first metric
    (``"score"`` for a single one).
    """
    if isinstance(refit, str) and refit in names:
        return refit
    return names[0]


def _value(scores, metric):
    """One metric of a split's scores (a failed fit's scalar holds for all)."""
    if isinstance(scores, dict):
        return scores.get(metric, math.nan)
    return scores


class ResultTable:
    """Every row of one search ``fit``, in evaluation order.

    Parameters
    ----------
    n_splits : int
        Number of cross-validation splits (entries per row).
    metric_names : list of str or None
        Names of the metrics of a multi-metric ``scoring``; None for a
        single metric (or a callable whose result is not known yet).
    refit : bool, str or callable
        The search's ``refit``, which names the metric it maximises.
    return_train_score : bool
        Whether entries hold training scores.
    """

    def __init__(self, n_splits, metric_names, refit, return_train_score):
        self.n_splits = n_splits
        self.declared_names = metric_names
        self.refit = refit
        self.return_train_score = return_train_score
        self.rows = []

    def __len__(self):
        return len(self.rows)

    def add(self, rows):
        """Append rows; returns the index of the first."""
        first = len(self.rows)
        for row in rows:
            if len(row.entries) != self.n_splits:
                raise ValueError(  # pragma: no cover - a bug, not a user error
                    f"A row holds {len(row.entries)} entries for {self.n_splits} splits."
                )
            self.rows.append(row)
        return first

    # -- metrics -------------------------------------------------------------
    def metric_names(self):
        """The metrics scored, ``["score"]`` for a single one; None while unknown.

        A callable ``scoring`` may return a dict: its keys are then read from
        the first successful fit.
        """
        if self.declared_names is not None:
            return list(self.declared_names)
        for row in self.rows:
            for entry in row.entries:
                if entry.get("fit_error") is None:
                    scores = entry["test_scores"]
                    return list(scores) if isinstance(scores, dict) else ["score"]
        return None

    @property
    def multimetric(self):
        """Whether several metrics are scored (a dict per split)."""
        if self.declared_names is not None:
            return True
        for row in self.rows:
            for entry in row.entries:
                if entry.get("fit_error") is None:
                    return isinstance(entry["test_scores"], dict)
        return False

    def objective(self):
        names = self.metric_names()
        return None if names is None else objective_name(names, self.refit)

    def scores_of(self, rows):
        """Mean test score of the maximised metric of each row.

        NaN for a row with a failed fit or a non-finite mean (what a searcher
        is told for it). The means are computed as in :meth:`format`.
        """
        if not rows:
            return []
        metric = self.objective()
        if metric is None:  # nothing succeeded yet: every row failed
            return [math.nan] * len(rows)
        values = np.array(
            [[_value(e["test_scores"], metric) for e in row.entries] for row in rows],
            dtype=np.float64,
        )
        means = np.average(values, axis=1)
        return [
            math.nan if (row.failed or not math.isfinite(m)) else float(m)
            for row, m in zip(rows, means)
        ]

    def split_scores(self, row):
        """Test scores of the maximised metric of one row, split by split."""
        metric = self.objective()
        entries = self.rows[row].entries
        if metric is None:
            return np.full(len(entries), np.nan)
        return np.array([_value(e["test_scores"], metric) for e in entries],
                        dtype=np.float64)

    @property
    def failed(self):
        """Per row, whether any of its fits failed."""
        return np.array([row.failed for row in self.rows], dtype=bool)

    def n_successful_fits(self):
        return sum(entry.get("fit_error") is None
                   for row in self.rows for entry in row.entries)

    # -- cv_results_ -----------------------------------------------------------
    def format(self, notes=None):
        """``cv_results_`` of the rows, laid out as scikit-learn's searches do.

        Where a list ``notes`` is given, a message naming non-finite mean
        scores is appended to it (scikit-learn's searches warn with it).
        """
        rows = self.rows
        n = len(rows)
        n_splits = self.n_splits
        results = {}
        for name in self._extra_columns():
            values = [row.extra.get(name) for row in rows]
            if is_rung_score_column(name):
                results[name] = np.array(
                    [math.nan if v is None else v for v in values], dtype=float
                )
            else:
                results[name] = np.asarray(values)

        def store(key, matrix, splits=False, rank=False):
            array = np.array(matrix, dtype=np.float64).reshape(n, n_splits)
            if splits:
                for s in range(n_splits):
                    results[f"split{s}_{key}"] = array[:, s]
            means = np.average(array, axis=1)
            results[f"mean_{key}"] = means
            if notes is not None and key.startswith(("train_", "test_")) and not np.all(
                    np.isfinite(means)):
                notes.append(
                    f"One or more of the {key.split('_')[0]} scores are non-finite: "
                    f"{means}"
                )
            results[f"std_{key}"] = np.sqrt(
                np.average((array - means[:, np.newaxis]) ** 2, axis=1)
            )
            if rank:
                results[f"rank_{key}"] = rank_by(means)

        store("fit_time", [e["fit_time"] for row in rows for e in row.entries])
        store("score_time", [e["score_time"] for row in rows for e in row.entries])
        for name, column in _param_columns([row.params for row in rows]):
            results[name] = column
        results["params"] = [row.params for row in rows]
        names = self.metric_names() or ["score"]
        for metric in names:
            store(f"test_{metric}",
                  [_value(e["test_scores"], metric) for row in rows for e in row.entries],
                  splits=True, rank=True)
            if self.return_train_score:
                store(f"train_{metric}",
                      [_value(e["train_scores"], metric)
                       for row in rows for e in row.entries],
                      splits=True)
        rank_failed_last(results, self.failed)
        return results

    def _extra_columns(self):
        names = {}
        for row in self.rows:
            for name in row.extra:
                names.setdefault(name, None)
        return list(names)


def rank_by(means):
    """Ranks of mean scores, best first; ties share the lowest rank.

    A NaN mean (a failed candidate) ties with the worst ones, as in
    scikit-learn's searches.
    """
    means = np.asarray(means, dtype=np.float64)
    if np.isnan(means).all():
        return np.ones(len(means), dtype=np.int32)
    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
    return rankdata(-filled, method="min").astype(np.int32, copy=False)


def _param_columns(candidate_params):
    """``param_<name>`` masked arrays: masked where a candidate lacks the name."""
    n = len(candidate_params)
    by_name = {}
    for index, params in enumerate(candidate_params):
        for name, value in params.items():
            by_name.setdefault(f"param_{name}", {})[index] = value
    for column, values in by_name.items():
        try:
            inferred = np.array(list(values.values()))
        except ValueError:  # sequences of different lengths
            dtype = np.dtype(object)
        else:
            # strings and sequences of equal length stay Python objects
            keep = inferred.dtype.kind != "U" and inferred.ndim == 1
            dtype = inferred.dtype if keep else np.dtype(object)
        array = MaskedArray(np.empty(n, dtype=dtype), mask=True)
        for index, value in values.items():
            array[index] = value
        yield column, array


def rank_failed_last(results, failed):
    """Rank candidates with a failed fit below every other candidate.

    Means are ranked as they are, so a numeric ``error_score`` above the real
    scores (``error_score=0`` with a negated error metric, say) would make a
    failed candidate the best one, and the refit would fail.
    """
    if not failed.any() or failed.all():
        return
    for key in [k for k in results if k.startswith("rank_test_")]:
        means = np.array(results["mean_test_" + key[len("rank_test_"):]], dtype=float)
        means[failed] = np.nan
        if np.isnan(means).all():
            continue
        means = np.where(np.isnan(means), np.nanmin(means) - 1, means)
        results[key] = rankdata(-means, method="min").astype(np.int32)
