"""Multi-fidelity search: successive halving over training epochs.

Both searchers can evaluate a batch of candidates through a *successive
halving* schedule instead of cross-validating each one for the full number
of epochs (``resource="max_epochs"``):

1. every candidate of the batch is trained for the first rung's epochs on
   every cross-validation fold and scored on the fold's test part;
2. the best ``1 / reduction_factor`` of them (by mean cross-validated score)
   are promoted; their fold models *continue* training where they stopped
   (``warm_start=True`` on the fitted LSTM with ``max_epochs`` set to the
   extra epochs, on the same fold data and the same random streams), while
   the fold models of the others are dropped at once;
3. and so on until the last rung, which is always ``max_resource`` epochs.

Inside a :class:`~sklearn.pipeline.Pipeline` the preprocessing steps are fitted
once per fold, on the first rung; later rungs transform the fold's training
data with them and continue only the final LSTM step.

Each candidate's row holds its per-split entries at the highest rung it
reached (the fit times are the sums over the rungs) and, as extra columns,
the epochs it was trained for, its rung and its mean score at every rung. The
rows go to the search's result table like any other, so ``cv_results_``,
``best_params_``, ``refit`` and multi-metric scoring keep working.

Every fold fit goes through the same per-split fit-and-score as the plain
path (:func:`sklstm.search._evaluation.fit_and_score`), with the search's
data, splits and scorer (:class:`~sklstm.search._evaluation.FoldPlan`).
"""

import math
import numbers

import numpy as np
from sklearn import get_config
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import process_routing
from sklearn.utils.parallel import Parallel, delayed

from .._sklearn_compat import Interval, StrOptions
from .._warnings import warn_caller
from ._evaluation import fit_and_score
from ._results import Row
from ._space import _find_lstm_prefix

__all__ = []

#: ``_parameter_constraints`` entries shared by both searchers.
FIDELITY_CONSTRAINTS = {
    "resource": [StrOptions({"max_epochs"}), str, None],
    "min_resource": [Interval(numbers.Integral, 1, None, closed="left"), None],
    "max_resource": [Interval(numbers.Integral, 1, None, closed="left"), None],
    "reduction_factor": [Interval(numbers.Real, 2, None, closed="left")],
}


def rung_resources(min_resource, max_resource, factor):
    """Epochs of each rung: a geometric sequence ending at ``max_resource``.

    The rungs are ``max_resource / factor**k`` (rounded), for every ``k``
    that keeps them at or above ``min_resource``; successive rungs differ
    by ``factor`` and the first lies in ``[min_resource, factor *
    min_resource)``.

    >>> rung_resources(1, 27, 3)
    [1, 3, 9, 27]
    >>> rung_resources(2, 30, 3)
    [3, 10, 30]
    """
    rungs = [int(max_resource)]
    while True:
        nxt = int(round(rungs[-1] / factor))
        if nxt < min_resource or nxt >= rungs[-1]:
            break
        rungs.append(nxt)
    return rungs[::-1]


def _lstm_path(estimator):
    """Parameter prefix of the LSTM step, checked to be continuable."""
    prefix = _find_lstm_prefix(
        estimator,
        why="but resource='max_epochs' needs exactly one LSTM estimator, alone or "
            "as the final step of a Pipeline (or set resource=None)",
    )
    est = estimator
    for part in prefix.split("__")[:-1]:
        if not (isinstance(est, Pipeline) and est.steps[-1][0] == part):
            raise ValueError(
                "resource='max_epochs' continues the training of the LSTM "
                "estimator, which must be the estimator itself or the final step "
                f"of a (possibly nested) Pipeline; found it at {prefix[:-2]!r}."
            )
        est = est.steps[-1][1]
    if "warm_start" not in est.get_params():
        raise ValueError(
            f"resource='max_epochs' continues training with warm_start, which "
            f"{type(est).__name__} does not have; search it with resource=None."
        )
    return prefix


def make_fidelity(search, subspaces):
    """The successive-halving schedule of a search, or None when it is off."""
    if search.resource is None:
        unused = [name for name in ("min_resource", "max_resource")
                  if getattr(search, name) is not None]
        if unused:
            warn_caller(
                f"{' and '.join(unused)} {'has' if len(unused) == 1 else 'have'} "
                "no effect without resource='max_epochs': every candidate is "
                "trained for the estimator's own max_epochs.",
                UserWarning,
            )
        return None
    estimator = search.estimator
    prefix = _lstm_path(estimator)
    name = prefix + "max_epochs"
    if search.resource not in ("max_epochs", name):
        also = f" (or {name!r})" if prefix else ""
        raise ValueError(
            f"resource must be 'max_epochs'{also}, got {search.resource!r}."
        )
    for sub in subspaces:
        if name in sub.names:
            raise ValueError(
                f"{name!r} is the multi-fidelity resource and cannot also be "
                "searched over; remove it from search_spaces or set resource=None."
            )
    max_resource = search.max_resource
    if max_resource is None:
        max_resource = estimator.get_params(deep=True)[name]
        if max_resource == "auto":
            raise ValueError(
                f"resource='max_epochs' needs a fixed budget, but {name}='auto' "
                "depends on the size of each training fold; set max_resource "
                f"(the epochs of the last rung, e.g. max_resource=300) or an "
                f"integer {name}."
            )
    factor = search.reduction_factor
    min_resource = search.min_resource
    if min_resource is None:
        min_resource = max(1, int(round(max_resource / factor**2)))
    if min_resource > max_resource:
        raise ValueError(
            f"min_resource ({min_resource}) must not be greater than "
            f"max_resource ({max_resource})."
        )
    return _SuccessiveHalving(
        prefix, rung_resources(min_resource, max_resource, factor), factor
    )


# ------------------------------------------------------------ fold tasks
def _lstm_of(model, prefix):
    est = model
    for _ in prefix.split("__")[:-1]:
        est = est.steps[-1][1]
    return est


class _Continue:
    """Train the LSTM step of a fitted fold model for ``epochs`` more epochs.

    In a Pipeline the preprocessing steps, fitted on the first rung, only
    transform the fold's training rows.
    """

    def __init__(self, prefix, epochs):
        self.prefix = prefix
        self.epochs = int(epochs)

    def __call__(self, model, X, y, fit_params):
        est = model
        for _ in self.prefix.split("__")[:-1]:
            if len(est.steps) > 1:
                X = est[:-1].transform(X)  # fitted on the first rung, never refitted
            fit_params = _final_step_params(est, fit_params)
            est = est.steps[-1][1]
        est.set_params(warm_start=True, max_epochs=self.epochs)
        # the fold's own fit parameters (sample_weight, ...) on every rung
        est.fit(X, y, **fit_params)


def _final_step_params(pipeline, fit_params):
    """The fit parameters a Pipeline's ``fit`` hands its last step."""
    name = pipeline.steps[-1][0]
    if not fit_params:
        return {}
    if get_config().get("enable_metadata_routing", False):
        return dict(process_routing(pipeline, "fit", **fit_params)[name].fit)
    return {key[len(name) + 2:]: value for key, value in fit_params.items()
            if key.startswith(name + "__")}


def _fold_step(model, first, epochs, prefix, X, y, data, split, callback_ctx, caller):
    """Fit (first rung) or continue one fold model, then score it.

    Returns the model (``None`` after a failure), the per-split entry and the
    number of epochs actually trained.
    """
    before = 0 if first else getattr(_lstm_of(model, prefix), "n_iter_", 0)
    entry, fitted = fit_and_score(
        model, X, y, data, split, train_model=None if first else _Continue(prefix, epochs),
        callback_ctx=callback_ctx, caller=caller,
    )
    if fitted is None:
        return None, entry, int(epochs)
    done = getattr(_lstm_of(fitted, prefix), "n_iter_", before + epochs) - before
    return fitted, entry, int(done)


def _mean_scores(entries):
    """Mean test score over the folds (by metric with multi-metric scoring).

    NaN when a fold fit failed or the mean is not finite, as for promotion.
    """
    if any(e["fit_error"] is not None for e in entries):
        return math.nan
    scores = [e["test_scores"] for e in entries]
    dicts = [s for s in scores if isinstance(s, dict)]
    if not dicts:
        mean = float(np.mean(np.asarray(scores, dtype=float)))
        return mean if math.isfinite(mean) else math.nan
    means = {}
    for name in dicts[0]:
        # a fold whose scorer failed holds a plain error_score: NaN for all
        values = [s[name] if isinstance(s, dict) else math.nan for s in scores]
        mean = float(np.mean(np.asarray(values, dtype=float)))
        means[name] = mean if math.isfinite(mean) else math.nan
    return means


def _metric_of(scores, metric):
    """One metric of :func:`_mean_scores`' result; NaN for a rung not reached."""
    if scores is None:
        return math.nan
    if isinstance(scores, dict):
        return scores.get(metric, math.nan)
    return scores


# ------------------------------------------------------------ the schedule
class _SuccessiveHalving:
    """Successive halving over epochs for the batches of one search ``fit``.

    Parameters
    ----------
    prefix : str
        Parameter prefix of the LSTM step (``""`` for a bare estimator).
    resources : list of int
        Epochs at each rung, increasing; the last is the full budget.
    factor : float
        Reduction factor: ``1 / factor`` of a rung's candidates are promoted.
    """

    def __init__(self, prefix, resources, factor):
        self.prefix = prefix
        self.resources = list(resources)
        self.factor = factor
        self.n_epochs = 0  # epochs trained over all folds and candidates
        self.metrics = None  # metric names of the rung columns, once known
        self.on_rung = None  # test hook: called as on_rung(k, alive, models)

    @property
    def max_resource(self):
        return self.resources[-1]

    @property
    def last_rung(self):
        return len(self.resources) - 1

    def completed(self, rung):
        """Whether a candidate at ``rung`` (None: not multi-fidelity) got the
        full budget."""
        return rung is None or rung == self.last_rung

    def n_promoted(self, n):
        """Number of candidates promoted out of ``n``."""
        return max(1, int(n // self.factor))

    def _metric(self, search, scores):
        if not isinstance(scores, dict):
            return scores
        if isinstance(search.refit, str) and search.refit in scores:
            return scores[search.refit]
        return next(iter(scores.values()))

    # -- one batch --------------------------------------------------------
    def run_batch(self, search, params_list, X, y, data, promote_all=False,
                  callback_contexts=None, parallel=None):
        """Run the rungs over a batch of candidates.

        With ``promote_all``, every candidate with a finite score goes on to
        the next rung. ``callback_contexts``, when given, returns the
        scikit-learn callback context of each fold fit.

        Returns
        -------
        entries : list of list of dict
            Per candidate, its per-split entries at the highest rung reached.
        reached : list of int
            Highest rung of each candidate.
        n_tasks : int
            Number of fold fits (first fits and continuations).
        rung_scores : list of dict
            Per candidate, ``{rung: mean test scores}`` for every rung it was
            trained on (a float, or a dict by metric with multi-metric
            scoring; NaN where a fold fit failed).
        """
        n_splits = data.n_splits
        base = clone(search.estimator)
        name = self.prefix + "max_epochs"
        schedule = self.prefix + "lr_schedule_epochs"
        # a candidate whose lr_schedule_epochs is left at None gets one
        # learning-rate schedule spanning all rungs
        no_length = object()
        base_length = base.get_params().get(schedule, no_length)
        alive = list(range(len(params_list)))
        models = {}
        fit_time = {}
        entries = {}
        reached = [0] * len(params_list)
        rung_scores = [{} for _ in params_list]
        n_tasks = 0
        if parallel is None:
            parallel = Parallel(n_jobs=search.n_jobs, pre_dispatch=search.pre_dispatch)
        for k, budget in enumerate(self.resources):
            epochs = budget - (self.resources[k - 1] if k else 0)
            tasks = [(c, s) for c in alive for s in range(n_splits)]

            def model_of(c, s, k=k, budget=budget):
                if k:
                    return models.pop((c, s))
                params = {**clone(params_list[c], safe=False), name: budget}
                if params.get(schedule, base_length) is None:
                    params[schedule] = self.resources[-1]
                return clone(base).set_params(**params)

            contexts = (callback_contexts(len(tasks)) if callback_contexts is not None
                        else [None] * len(tasks))
            outs = parallel(
                delayed(_fold_step)(model_of(c, s), k == 0, epochs, self.prefix, X, y,
                                    data, s, ctx, search if ctx is not None else None)
                for (c, s), ctx in zip(tasks, contexts)
            )
            n_tasks += len(tasks)
            for (c, s), (model, entry, done) in zip(tasks, outs):
                fit_time[c, s] = fit_time.get((c, s), 0.0) + entry["fit_time"]
                entry["fit_time"] = fit_time[c, s]
                entries[c, s] = entry
                reached[c] = k
                self.n_epochs += done
                if model is not None:
                    models[c, s] = model
            for c in alive:
                rung_scores[c][k] = _mean_scores([entries[c, s] for s in range(n_splits)])
            if self.on_rung is not None:
                self.on_rung(k, list(alive), dict(models))
            if k == len(self.resources) - 1:
                break
            means = {c: self._metric(search, rung_scores[c][k]) for c in alive}
            ranked = sorted(
                (c for c in alive if math.isfinite(means[c])),
                key=lambda c: (-means[c], c),
            )
            alive = sorted(ranked if promote_all else ranked[: self.n_promoted(len(alive))])
            for key in [key for key in models if key[0] not in alive]:
                del models[key]  # stopped candidates: free their models now
            if not alive:
                break
        models.clear()
        return (
            [[entries[c, s] for s in range(n_splits)] for c in range(len(params_list))],
            reached,
            n_tasks,
            rung_scores,
        )

    def evaluate(self, search, params, extra, X, y, data, promote_all=False,
                 callback_contexts=None, parallel=None):
        """Evaluate a batch of candidates through the rungs.

        Returns
        -------
        rows : list of Row
            One row per candidate, with its entries at its highest rung and
            the ``n_resources``, ``rung`` and per-rung score columns.
        scores : list of float
            Each candidate's score at its highest rung, as promotion ranked
            it (NaN for a failed candidate).
        n_fits : int
            Number of fold fits run.
        n_epochs : int
            Epochs trained.
        """
        epochs_before = self.n_epochs
        per_candidate, reached, n_tasks, rung_scores = self.run_batch(
            search, params, X, y, data, promote_all=promote_all,
            callback_contexts=callback_contexts, parallel=parallel,
        )
        entries = [entry for cand in per_candidate for entry in cand]
        metrics = self._metric_names(data, entries)
        if metrics is not None:
            self.metrics = metrics
        # a batch that failed before any metric name was known gets no rung
        # columns; the result table fills them with NaN
        columns = self._rung_columns(self.metrics or [])
        rows = []
        for c, candidate in enumerate(params):
            row_extra = dict(extra)
            row_extra["n_resources"] = self.resources[reached[c]]
            row_extra["rung"] = reached[c]
            for (k, metric), column in columns.items():
                row_extra[column] = _metric_of(rung_scores[c].get(k), metric)
            rows.append(Row(candidate, per_candidate[c], row_extra))
        scores = [self._metric(search, cand[r]) for cand, r in zip(rung_scores, reached)]
        return rows, scores, n_tasks, self.n_epochs - epochs_before

    def _metric_names(self, data, entries):
        """Names of the metrics scored: ``["score"]`` for a single metric.

        A callable ``scoring`` may return a dict: its keys are then read from
        a successful fold entry. None when a batch tells nothing new (every
        fit failed, or an earlier batch already named the metrics).
        """
        if data.metric_names is not None:
            return list(data.metric_names)
        ok = [e["test_scores"] for e in entries if e["fit_error"] is None]
        for scores in ok:
            if isinstance(scores, dict):
                return list(scores)
        if ok and self.metrics is None:
            return ["score"]
        return None

    def _rung_columns(self, metrics):
        """``cv_results_`` column of each (rung, metric): ``rung0_mean_test_score``..."""
        return {
            (k, metric): f"rung{k}_mean_test_{metric}"
            for k in range(len(self.resources))
            for metric in metrics
        }

    def rank(self, results, failed):
        """Rank candidates that got the full budget above stopped ones.

        Failed candidates stay last; within each group the order is by
        mean score, as scikit-learn ranks.
        """
        if "n_resources" not in results:
            return
        full = np.asarray(results["n_resources"], dtype=float) >= self.max_resource
        if full.all() or not full.any():
            return
        failed = np.asarray(failed, dtype=bool)
        tier = np.where(failed, 0, np.where(full, 2, 1))
        for key in [k for k in results if k.startswith("rank_test_")]:
            means = np.array(results["mean_test_" + key[len("rank_test_"):]], dtype=float)
            means = np.where(np.isfinite(means), means, -np.inf)
            order = sorted(range(len(means)), key=lambda i: (-tier[i], -means[i]))
            ranks = np.empty(len(means), dtype=np.int32)
            prev = None
            for pos, i in enumerate(order):
                if prev is None or (tier[i], means[i]) != (tier[prev], means[prev]):
                    current = pos + 1
                ranks[i] = current
                prev = i
            results[key] = ranks

    def refit_params(self):
        """Parameters that make the refit train for ``max_resource`` epochs.

        ``best_params_`` always belongs to a candidate trained for the full
        budget, so the refitted ``best_estimator_`` gets the same number of
        epochs rather than the estimator's own ``max_epochs``. A candidate
        whose ``lr_schedule_epochs`` is ``None`` was searched with a schedule
        of ``max_resource`` epochs; its refit, with
        ``max_epochs=max_resource``, gets the same schedule.
        """
        return {self.prefix + "max_epochs": self.max_resource}

    def surrogate_scores(self, rungs, scores):
        """Scores to tell a surrogate model: stopped candidates penalised.

        ``rungs`` holds the highest rung of each candidate. A candidate
        stopped before the last rung is told its last-rung score, but never
        more than the lowest final score of the candidates that completed the
        full budget in the same batch. Its low-budget score is informative
        (it ranks the stopped candidates among themselves) yet not comparable
        with full-budget scores; the cap keeps the order that successive
        halving decided.
        """
        last = self.last_rung
        done = [
            s for rung, s in zip(rungs, scores)
            if s is not None and math.isfinite(s) and rung == last
        ]
        if not done:
            return list(scores)
        floor = min(done)
        return [
            min(s, floor)
            if (s is not None and math.isfinite(s) and rung is not None and rung < last)
            else s
            for rung, s in zip(rungs, scores)
        ]
