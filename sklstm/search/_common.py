"""Machinery shared by BayesSearchCV and GeneticSearchCV.

Both searchers are :class:`~sklearn.model_selection._search.BaseSearchCV`
subclasses that only implement ``_run_search``. What they share lives here:

* :class:`_SearchRun` -- the state of one ``fit``: an evaluation cache keyed
  on the canonical configuration (reset on every fit), per-candidate seeds,
  progress output, and the bookkeeping that lets a batch in which every fit
  failed be recorded instead of aborting the search;
* :class:`_SearchMixin` -- a thin extension of ``_format_results`` that puts
  such failed batches into ``cv_results_``, and the stopping rules;
* helpers for seeds and for the torch thread count under a threading backend.

Why failed batches need care: scikit-learn's ``evaluate_candidates`` raises
``ValueError("All the N fits failed ...")`` as soon as *every* fit of one call
fails, before recording anything. A sequential search that evaluates one
candidate (or one small generation) at a time would then stop at the first
bad candidate. We catch that error, remember the batch, and splice its
candidates -- scored with ``error_score`` -- into the results the next time
scikit-learn formats them (or once more at the end of the search).
"""

import math
import random
import sys
import time
import warnings
import zlib
from contextlib import contextmanager, nullcontext

import joblib
import numpy as np
from scipy.stats import rankdata
from sklearn.exceptions import FitFailedWarning
from sklearn.utils import check_random_state, indexable

from . import _checkpoint, _distributed, _progress
from ._space import _find_lstm_prefix

_SEED_MAX = 2**31 - 1


# --------------------------------------------------------------------- seeds
def _draw_seeds(random_state, n):
    """``n`` integer seeds derived from ``random_state``.

    ``None`` draws fresh entropy from the operating system instead of the
    global numpy generator, which stays untouched.
    """
    if random_state is None:
        sysrand = random.SystemRandom()
        return [sysrand.randrange(_SEED_MAX) for _ in range(n)]
    rng = check_random_state(random_state)
    return [int(s) for s in rng.randint(0, _SEED_MAX, size=n)]


def _candidate_seed(base_seed, text):
    """Seed of a candidate: a stable hash of its configuration and the search seed."""
    return zlib.crc32(f"{base_seed}|{text}".encode()) & _SEED_MAX


def _lstm_seed_names(estimator, subspace_names):
    """The ``random_state`` of the LSTM estimator in ``estimator``, unless searched."""
    try:
        prefix = _find_lstm_prefix(estimator)
    except ValueError:
        return []
    name = prefix + "random_state"
    return [] if name in set(subspace_names) else [name]


def _seed_param_names(estimator, subspace_names):
    """Names of ``random_state`` parameters to give a per-candidate seed.

    Those of the estimator and of its nested estimators that are left at
    ``None``, are not searched over, and do not belong to a step that the
    search space replaces.
    """
    if not hasattr(estimator, "get_params"):
        return []
    searched = set(subspace_names)
    names = []
    for name, value in estimator.get_params(deep=True).items():
        if value is not None:
            continue
        if not (name == "random_state" or name.endswith("__random_state")):
            continue
        parts = name.split("__")
        prefixes = {"__".join(parts[:i]) for i in range(1, len(parts) + 1)}
        if prefixes & searched:
            continue
        names.append(name)
    return sorted(names)


# ------------------------------------------------------------- torch threads
@contextmanager
def _torch_thread_share(n_jobs):
    """Run every candidate fit with one torch intra-op thread.

    Small recurrent nets gain little from several intra-op threads, and
    threads that wait for each other at every time step slow a fit many
    times over when other workers keep the cores busy; parallelism across
    candidates (``n_jobs``) uses the cores better. One thread per fit in
    every mode (serial, threads, loky processes through joblib's
    ``inner_max_num_threads``, Dask workers, which start with one) also
    makes the arithmetic, and so the scores, the same whatever ``n_jobs``
    is: oneDNN's results depend on the thread count. The refit of the best
    candidate runs afterwards with the caller's setting.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    backend, _ = joblib.parallel.get_active_backend()
    limit_workers = (
        joblib.parallel_config(backend="loky", inner_max_num_threads=1)
        if isinstance(backend, joblib._parallel_backends.LokyBackend)
        else nullcontext()
    )
    with limit_workers:
        if before != 1:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if before != 1:
                torch.set_num_threads(before)


def _is_all_failed_error(exc):
    text = str(exc)
    return "All the" in text and "fits failed" in text


def _check_callbacks(callbacks):
    if callbacks is None:
        return []
    if callable(callbacks):
        return [callbacks]
    callbacks = list(callbacks)
    for cb in callbacks:
        if not callable(cb):
            raise ValueError(f"callbacks must be callables, got {cb!r}.")
    return callbacks


class _FailedBatch:
    """Rows spliced into the results: a failed batch, or rows restored from a
    checkpoint (``out`` holds their ``_fit_and_score`` outputs, ``more`` their
    extra columns)."""

    __slots__ = ("n_before", "params", "extra", "message", "out", "more")

    def __init__(self, n_before, params, extra, message, out=None, more=None):
        self.n_before = n_before
        self.params = params
        self.extra = extra
        self.message = message
        self.out = out
        self.more = more


# ----------------------------------------------------------------- one fit
class _SearchRun:
    """State of one ``fit`` of a search; dropped when the search ends.

    Parameters
    ----------
    search : BaseSearchCV
        The search being fitted.
    evaluate_candidates : callable
        scikit-learn's evaluation closure.
    subspaces : list of _Subspace
        Parsed search space.
    base_seed : int
        Seed mixed into every candidate's seed.
    total : int
        Upper bound on the number of candidates, for progress output.
    callback_ctx : CallbackContext or None
        scikit-learn callback context (scikit-learn >= 1.9), if any.
    """

    def __init__(self, search, evaluate_candidates, subspaces, base_seed, total,
                 callback_ctx=None):
        self.search = search
        self.evaluate_candidates = evaluate_candidates
        self.subspaces = subspaces
        self.base_seed = base_seed
        self.total = total
        self.seed_names = [
            _seed_param_names(search.estimator, sub.names) for sub in subspaces
        ]
        self.cache = {}  # canonical key -> mean score (NaN when failed)
        self.rows = {}  # canonical key -> row in cv_results_
        self.n_rows = 0
        self.n_fits = 0
        self.n_cached = 0
        self.best_score = -math.inf
        self.best_key = None
        self.start = time.monotonic()
        # bookkeeping for batches in which every fit failed
        self.failed_batches = []
        self.n_recorded = 0  # candidates recorded by scikit-learn itself
        self.last_format_args = None
        self.last_results = None
        self.n_failed_formatted = 0
        self.row_failed = np.zeros(0, dtype=bool)
        self.fidelity = None  # successive-halving schedule (see _fidelity)
        # the seed varied when re-scoring: the LSTM estimator's (weights,
        # dropout, shuffling), whether the user fixed it or not
        self.rescore_seed_names = [
            _lstm_seed_names(search.estimator, sub.names) for sub in subspaces
        ]
        self.rescored = {}  # candidate key -> its re-scored keys
        self.rescored_rows = {}  # the same as cv_results_ rows
        self.checkpoint = _checkpoint.active_checkpoint(search)
        self.callback_ctx = None
        if callback_ctx is not None:
            self.callback_ctx = callback_ctx.subcontext(
                task_name="search", max_subtasks=None
            ).call_on_fit_task_begin(estimator=search)

    def elapsed(self):
        """Seconds since the search started."""
        return time.monotonic() - self.start

    # -- candidates ------------------------------------------------------
    def params_of(self, key):
        """Parameter dict (with per-candidate seeds) of a canonical key.

        A key ``(subspace, values)`` names a candidate; a key ``(subspace,
        values, round)`` names the same configuration re-scored with fresh
        weight seeds (see :meth:`rescore`).
        """
        index, values = key[:2]
        sub = self.subspaces[index]
        params = sub.params(values)
        text = f"{index}|{sub.describe(values)}"
        names = self.seed_names[index]
        if names:
            seed = _candidate_seed(self.base_seed, text)
            for name in names:
                params[name] = seed
        if len(key) > 2:  # only the network's seed changes
            seed = _candidate_seed(self.base_seed, f"{text}|rescore{key[2]}")
            for name in self.rescore_seed_names[index]:
                params[name] = seed
        return params

    def evaluate(self, keys, extra=None, max_new=None):
        """Scores of canonical configurations, cross-validating only new ones.

        Parameters
        ----------
        keys : list of tuple
            Canonical keys ``(subspace, values)``.
        extra : dict, default=None
            Extra ``cv_results_`` columns (one scalar each) for the new rows.
        max_new : int, default=None
            Evaluate at most this many new configurations; the others get
            ``None``.

        Returns
        -------
        scores : list of float or None
            Mean test score of the optimised metric; NaN for a failed or
            non-finite candidate.
        n_new : int
            Number of configurations cross-validated in this call.
        """
        # every batch says whether it re-scores (scikit-learn needs each extra
        # column in every batch)
        extra = {**(extra or {}), "rescored": any(len(key) > 2 for key in keys)}
        new = []
        seen = set()
        for key in keys:
            if key in self.cache or key in seen:
                continue
            if max_new is not None and len(new) >= max_new:
                continue
            seen.add(key)
            new.append(key)
        if new:
            scores = self._replay_or_cross_validate(new, extra)
            for key, score in zip(new, scores):
                self.cache[key] = score
                self.rows[key] = self.n_rows
                self.n_rows += 1
                if len(key) == 2 and math.isfinite(score) and score > self.best_score:
                    self.best_score, self.best_key = score, key
        self.n_cached += sum(1 for key in keys if key in self.cache) - len(new)
        self._report(len(new))
        return [self.cache.get(key) for key in keys], len(new)

    def _replay_or_cross_validate(self, keys, extra):
        """Stored scores of a batch on resume; else cross-validate and store."""
        checkpoint = self.checkpoint
        if checkpoint is None:
            return self._cross_validate(keys, extra)
        stored = checkpoint.next_batch(keys, extra)
        if stored is not None:
            return _checkpoint.replay(self, stored)
        before = (self.n_recorded, len(self.failed_batches), self.n_fits,
                  self.n_epochs)
        scores = self._cross_validate(keys, extra)
        segments = _checkpoint.recorded_since(self, before[0], before[1])
        checkpoint.record(keys, extra, scores, segments, self.n_fits - before[2],
                          self.n_epochs - before[3], params_of=self.params_of)
        return scores

    @property
    def n_epochs(self):
        """Epochs trained so far by a multi-fidelity search (0 without one)."""
        return self.fidelity.n_epochs if self.fidelity is not None else 0

    def _cross_validate(self, keys, extra):
        if self.fidelity is not None:
            return self.fidelity.cross_validate(self, keys, extra)
        search = self.search
        params = [self.params_of(key) for key in keys]
        more = {name: [value] * len(params) for name, value in extra.items()}
        kwargs = {}
        sub_ctx = None
        if self.callback_ctx is not None:
            sub_ctx = self.callback_ctx.subcontext(
                task_name="search-iteration",
                max_subtasks=len(params) * search.n_splits_,
                sequential_subtasks=False,
            ).call_on_fit_task_begin(estimator=search)
            kwargs["callback_ctx"] = sub_ctx
        n_before = self.n_recorded
        try:
            results = self.evaluate_candidates(params, more_results=more, **kwargs)
        except ValueError as exc:
            if not self.record_failed_batch(params, extra, exc, n_before):
                raise
            self.n_fits += len(params) * search.n_splits_
            return [math.nan] * len(params)
        finally:
            if sub_ctx is not None:
                sub_ctx.call_on_fit_task_end(estimator=search)
        self.n_fits += len(params) * search.n_splits_
        metric = search._objective_name(results)
        means = np.asarray(results[f"mean_test_{metric}"], dtype=float)[-len(params):]
        failed = self.row_failed[-len(params):]
        return [
            math.nan if (bad or not math.isfinite(m)) else float(m)
            for m, bad in zip(means, failed)
        ]

    def record_failed_batch(self, params, extra, exc, n_before):
        """Record a batch whose every fit failed; False if ``exc`` is another error.

        The batch's rows are recorded with ``error_score`` (and NaN durations)
        and a ``FitFailedWarning`` says so; the search goes on. With
        ``error_score="raise"`` the estimator's own error must propagate, and
        it may itself read "All the N fits failed" (a nested search).
        """
        search = self.search
        if search.error_score == "raise" or not _is_all_failed_error(exc):
            return False
        warnings.warn(
            f"All fits of {len(params)} candidate(s) failed; they are recorded "
            f"with error_score={search.error_score!r} and the search goes "
            f"on.{exc}",
            FitFailedWarning,
        )
        self.failed_batches.append(_FailedBatch(n_before, params, extra, str(exc)))
        return True

    # -- results bookkeeping (called from _format_results) -----------------
    def splice(self, candidate_params, n_splits, out, more_results):
        """Insert the failed batches into scikit-learn's accumulated lists."""
        self.n_recorded = len(candidate_params)
        self.last_format_args = (candidate_params, n_splits, out, more_results)
        self.n_failed_formatted = len(self.failed_batches)
        more_results = more_results or {}
        if not self.failed_batches:
            self.row_failed = np.array(
                [_any_failed(out, i, n_splits) for i in range(len(candidate_params))],
                dtype=bool,
            )
            return candidate_params, out, more_results
        template = _template_entry(
            list(out) + [e for b in self.failed_batches if b.out for e in b.out]
        )
        new_params, new_out, new_failed = [], [], []
        new_more = {name: [] for name in more_results}
        for batch in self.failed_batches:
            for name in batch.more or batch.extra:
                new_more.setdefault(name, [])
        prev = 0
        for batch in self.failed_batches + [None]:
            stop = len(candidate_params) if batch is None else batch.n_before
            new_params.extend(candidate_params[prev:stop])
            new_out.extend(out[prev * n_splits:stop * n_splits])
            new_failed.extend(_any_failed(out, i, n_splits) for i in range(prev, stop))
            for name in new_more:
                values = more_results.get(name)
                new_more[name].extend(
                    values[prev:stop] if values is not None else [None] * (stop - prev)
                )
            prev = stop
            if batch is None:
                break
            n = len(batch.params)
            new_params.extend(batch.params)
            if batch.out is not None:  # rows restored from a checkpoint
                new_out.extend(batch.out)
                new_failed.extend(_any_failed(batch.out, i, n_splits) for i in range(n))
                for name in new_more:
                    new_more[name].extend(batch.more.get(name, [None] * n))
                continue
            new_out.extend(
                _failed_entry(template, self.search.error_score, batch.message)
                for _ in range(n * n_splits)
            )
            new_failed.extend([True] * n)
            for name in new_more:
                new_more[name].extend([batch.extra.get(name)] * n)
        self.row_failed = np.array(new_failed, dtype=bool)
        return new_params, new_out, new_more

    def finish(self):
        """Record trailing failed batches; raise if no fit ever succeeded."""
        _progress.close(self)
        if self.fidelity is not None:
            self.fidelity.prepare_refit(self)
        if self.callback_ctx is not None:
            self.callback_ctx.call_on_fit_task_end(estimator=self.search)
        if self.last_results is None:
            if any(batch.out is not None for batch in self.failed_batches):
                # restored entirely from a checkpoint: nothing was fitted
                _checkpoint.publish_replayed(self)
                return
            if self.failed_batches:
                n_fits = sum(len(b.params) for b in self.failed_batches) * (
                    self.search.n_splits_
                )
                raise ValueError(
                    f"\nAll the {n_fits} fits failed.\nIt is very likely that your "
                    "model is misconfigured.\nYou can try to debug the error by "
                    "setting error_score='raise'.\n\nThe last failure was:"
                    f"{self.failed_batches[-1].message}"
                )
            return
        if len(self.failed_batches) > self.n_failed_formatted:
            # scikit-learn keeps using the dict object it got last; update it
            # in place so that best_index_ and cv_results_ see every row.
            target = self.last_results
            fresh = self.search._format_results(*self.last_format_args)
            target.clear()
            target.update(fresh)
            self.last_results = target

    # -- progress ----------------------------------------------------------
    def _report(self, n_new):
        verbose = self.search.verbose
        if not verbose or verbose <= 0:
            return
        name = type(self.search).__name__
        best = "n/a" if self.best_key is None else f"{self.best_score:.4g}"
        line = (
            f"[{name}] {self.n_rows}/{self.total} candidates "
            f"({n_new} new, {self.n_cached} cached so far), {self.n_fits} fits, "
            f"best score {best}, {time.monotonic() - self.start:.1f}s"
        )
        if verbose >= 2 and self.best_key is not None:
            line += f", best params {self.params_of(self.best_key)}"
        _progress.report(self, n_new, line)

    def _ranked(self):
        """Candidate keys with a finite score, best first (re-scored ones by
        their re-scored mean first)."""
        def order(key):
            rescored = self.rescored_score(key)
            return (
                # with multi-fidelity, full-budget candidates come first
                self.fidelity is not None and not self.fidelity.completed(key, self),
                rescored is None, -(rescored or 0.0), -self.cache[key], self.rows[key],
            )

        return sorted(
            (key for key, score in self.cache.items()
             if len(key) == 2 and math.isfinite(score)),
            key=order,
        )

    def hall_of_fame(self, size):
        """The ``size`` best configurations, best first."""
        return [
            {"params": self.params_of(key), "score": self.cache[key],
             "index": self.rows[key]}
            for key in self._ranked()[:size]
        ]

    # -- selection -----------------------------------------------------------
    def rescore(self, n_top, extra):
        """Cross-validate the ``n_top`` best candidates again with fresh weight seeds.

        The best score of a search is the maximum over many noisy training
        runs, so it favours a configuration that was lucky once. Each of the
        ``n_top`` best candidates is cross-validated once more on the same
        folds with other weight seeds (full budget with multi-fidelity), and
        the candidate with the best mean of its two runs is ranked first.
        Needs an LSTM estimator (alone or in a pipeline) whose
        ``random_state`` is not searched; does nothing with fewer than two
        candidates to choose between. ``extra`` holds the searcher's own
        columns for these rows.
        """
        top = [key for key in self._ranked() if self.fidelity is None
               or self.fidelity.completed(key, self)][:n_top]
        if len(top) < 2 or not all(self.rescore_seed_names[k[0]] for k in top):
            return
        keys = [key + (1,) for key in top]
        # rows are numbered in evaluation order; the results formatted while
        # the batch is recorded pair each candidate's rows by these numbers
        self.rescored_rows = {self.rows[key]: self.n_rows + i for i, key in enumerate(top)}
        self.evaluate(keys, extra)
        for key, again in zip(top, keys):
            self.rescored[key] = [again]

    def rescored_score(self, key):
        """Mean score of a candidate over its runs, if it was re-scored."""
        again = self.rescored.get(key)
        if not again:
            return None
        scores = [self.cache[key]] + [self.cache.get(k, math.nan) for k in again]
        return float(np.mean(scores)) if all(math.isfinite(s) for s in scores) else None

    def rank_rescored(self, results, metric):
        """``rescored_mean_test_<metric>`` column and ranks that put re-scored
        candidates first, by that mean."""
        if not self.rescored_rows:
            return
        n = len(results["params"])
        means = np.asarray(results[f"mean_test_{metric}"], dtype=float)
        column = np.full(n, np.nan)
        for row, again in self.rescored_rows.items():
            if again < n:
                column[row] = (means[row] + means[again]) / 2
        results[f"rescored_mean_test_{metric}"] = column
        name = f"rank_test_{metric}"
        if name not in results or np.isnan(column).all():
            return
        previous = np.asarray(results[name])
        order = sorted(
            range(n),
            key=lambda i: (np.isnan(column[i]), -np.nan_to_num(column[i]), previous[i]),
        )
        ranks = np.empty(n, dtype=np.int32)
        for pos, i in enumerate(order):
            tie = pos and (column[i], previous[i]) == (column[order[pos - 1]],
                                                       previous[order[pos - 1]])
            ranks[i] = ranks[order[pos - 1]] if tie else pos + 1
        results[name] = ranks


def _any_failed(out, candidate, n_splits):
    entries = out[candidate * n_splits:(candidate + 1) * n_splits]
    return any(entry.get("fit_error") is not None for entry in entries)


def _template_entry(out):
    for entry in out:
        if entry.get("fit_error") is None:
            return entry
    return out[0]


def _failed_entry(template, error_score, message):
    entry = dict(template)
    scores = template.get("test_scores")
    if isinstance(scores, dict):
        value = {name: error_score for name in scores}
    else:
        value = error_score
    entry["test_scores"] = value if not isinstance(value, dict) else dict(value)
    if "train_scores" in template:
        entry["train_scores"] = value if not isinstance(value, dict) else dict(value)
    # the duration of a failed fit is unknown here
    entry["fit_time"] = math.nan
    entry["score_time"] = math.nan
    entry["fit_error"] = message
    return entry


def _rank_failed_last(results, failed):
    """Rank candidates with a failed fit below every other candidate.

    scikit-learn ranks by mean score, so a numeric ``error_score`` above the
    real scores (``error_score=0`` with a negated error metric, say) would
    make a failed candidate the best one, and the refit would fail.
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


# --------------------------------------------------------------- the mixin
class _SearchMixin:
    """Shared behaviour of the sklstm searchers (left of BaseSearchCV)."""

    def __getstate__(self):
        # joblib sends the search to its workers while it runs; the state of
        # the running search stays behind. (The parent's __getstate__ may
        # return the instance's own __dict__, hence the copy.)
        state = dict(super().__getstate__())
        state.pop("_search_run", None)
        return state

    def fit(self, X, y=None, **params):
        """Run the search with all sets of parameters it proposes.

        Parameters
        ----------
        X : array-like or list of array-like
            Training data (2-D, 3-D or a list of sequences).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Targets.
        **params : dict
            Parameters passed to the estimator's ``fit``, the scorer and the
            cross-validation splitter (see scikit-learn's metadata routing).

        Returns
        -------
        self : object
            The fitted search.
        """
        self._validate_params()
        X, y = indexable(X, y)
        with _checkpoint.checkpoint_context(self, X, y, params), \
                _distributed.scatter_once(X, y):
            return super().fit(X, y, **params)

    def _format_results(self, candidate_params, n_splits, out, more_results=None):
        run = getattr(self, "_search_run", None)
        if run is None:
            return super()._format_results(candidate_params, n_splits, out, more_results)
        candidate_params, out, more_results = run.splice(
            candidate_params, n_splits, out, more_results
        )
        results = super()._format_results(candidate_params, n_splits, out, more_results)
        _rank_failed_last(results, run.row_failed)
        if run.fidelity is not None:
            run.fidelity.format_columns(results)
            run.fidelity.rank(results, run.row_failed)
        run.rank_rescored(results, self._objective_name(results))
        run.last_results = results
        return results

    def _objective_name(self, results):
        """Name of the metric the search maximises.

        The refit metric when ``refit`` names one; otherwise ``"score"`` for a
        single metric, or the first metric of a multi-metric ``scoring``.
        """
        if isinstance(self.refit, str) and f"mean_test_{self.refit}" in results:
            return self.refit
        if "mean_test_score" in results:
            return "score"
        for key in results:
            if key.startswith("mean_test_"):
                return key[len("mean_test_"):]
        raise ValueError("No test score found in the search results.")  # pragma: no cover

    def _stopping_rules(self, n_no_change):
        return _StoppingRules(self, self.max_time, n_no_change,
                              _check_callbacks(self.callbacks))


class _StoppingRules:
    """Time budget, patience and user callbacks, checked between batches."""

    def __init__(self, search, max_time, n_no_change, callbacks):
        self.search = search
        self.max_time = max_time
        self.n_no_change = n_no_change
        self.callbacks = callbacks
        self.best = -math.inf
        self.stale = 0

    def __call__(self, run, record):
        """Return a stop reason, or None to go on."""
        if run.best_key is not None and run.best_score > self.best:
            self.best = run.best_score
            self.stale = 0
        else:
            self.stale += 1
        reason = None
        if self.n_no_change is not None and self.stale >= self.n_no_change:
            reason = "no_improvement"
        elif self.max_time is not None and time.monotonic() - run.start >= self.max_time:
            reason = "max_time"
        if self.callbacks:
            info = dict(record)
            info["best_score"] = run.best_score
            info["best_params"] = None if run.best_key is None else run.params_of(run.best_key)
            info["cv_results"] = run.last_results
            for callback in self.callbacks:
                if callback(self.search, info) and reason is None:
                    reason = "callback"
        return reason

