"""The state of one search ``fit``, shared by BayesSearchCV and GeneticSearchCV.

:class:`_SearchRun` is what a searcher talks to while it proposes
candidates: it keeps the evaluation cache keyed on canonical configurations
(reset on every fit), gives every candidate its seeds, evaluates new
candidates (replaying them from the checkpoint where it can, through the
multi-fidelity schedule where there is one, else by cross-validation), and
records every candidate as one row of the search's :class:`ResultTable`.
It also re-scores the best candidates and ranks them for the hall of fame.

A candidate whose fits all fail is a row like any other (scored with
``error_score``), so a failing candidate never stops a search; only a search
in which no fit succeeded at all raises, at the end.
"""

import math
import random
import sys
import time
import zlib
from contextlib import contextmanager, nullcontext

import joblib
import numpy as np
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.utils import check_random_state
from sklearn.utils.parallel import Parallel, delayed

from .._warnings import warn_caller
from ._checkpoint import stored_rows
from ._evaluation import describe_params, failure_summary, fit_and_score
from ._progress import SearchProgress
from ._results import ResultTable, Row
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




def _fit_and_score_entry(*args, **kwargs):
    """:func:`fit_and_score` without the model (which stays in the worker)."""
    return fit_and_score(*args, **kwargs)[0]


# ----------------------------------------------------------------- one fit
class _SearchRun:
    """State of one ``fit`` of a search; dropped when the search ends.

    Parameters
    ----------
    search : estimator
        The search being fitted.
    X, y : indexable
        The data of the fit.
    data : FoldPlan
        Splits, parameters and scorer of the fit.
    subspaces : list of _Subspace
        Parsed search space.
    base_seed : int
        Seed mixed into every candidate's seed.
    fidelity : _SuccessiveHalving or None
        The multi-fidelity schedule, if any.
    checkpoint : SearchCheckpoint or None
        The open checkpoint, if any.
    callback_ctx : CallbackContext or None
        scikit-learn callback context of the search task (scikit-learn >= 1.9).
    """

    def __init__(self, search, X, y, data, subspaces, base_seed, fidelity=None,
                 checkpoint=None, callback_ctx=None):
        self.search = search
        self.X = X
        self.y = y
        #: the search's joblib Parallel, kept open across batches (set by the
        #: search; None: one per batch)
        self.parallel = None
        self.data = data
        self.subspaces = subspaces
        self.base_seed = base_seed
        self.fidelity = fidelity
        self.checkpoint = checkpoint
        self.callback_ctx = callback_ctx
        self.total = 0  # most candidates the search can evaluate (progress)
        self.base_estimator = clone(search.estimator)
        self.table = ResultTable(data.n_splits, data.metric_names, search.refit,
                                 data.return_train_score)
        self.seed_names = [
            _seed_param_names(search.estimator, sub.names) for sub in subspaces
        ]
        # the seed varied when re-scoring: the LSTM estimator's (weights,
        # dropout, shuffling), whether the user fixed it or not
        self.rescore_seed_names = [
            _lstm_seed_names(search.estimator, sub.names) for sub in subspaces
        ]
        self.cache = {}  # canonical key -> mean score (NaN when failed)
        self.rows = {}  # canonical key -> its row in the result table
        self.n_fits = 0
        self.n_cached = 0
        # wall seconds spent cross-validating candidates and reading or
        # writing the checkpoint (the rest of a search is its own time)
        self.seconds_fitting = 0.0
        self.seconds_checkpoint = 0.0
        self.best_score = -math.inf
        self.best_key = None
        self.start = time.monotonic()
        self.rescored = {}  # candidate key -> its re-scored keys
        self.rescored_rows = {}  # the same as rows of the table
        self.kept = None  # the estimator's own key, when prefer_estimator keeps it
        self.progress = None
        self._n_fit_tasks = 0  # callback tasks of fold fits so far

    @property
    def n_rows(self):
        return len(self.table)

    @property
    def n_epochs(self):
        """Epochs trained so far by a multi-fidelity search (0 without one)."""
        return self.fidelity.n_epochs if self.fidelity is not None else 0

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

    def rung_of(self, key):
        """Highest rung a configuration reached (None without multi-fidelity)."""
        row = self.rows.get(key)
        if row is None:
            return None
        return self.table.rows[row].extra.get("rung")

    def completed(self, key):
        """Whether a configuration was trained for the full budget."""
        return self.fidelity is None or self.fidelity.completed(self.rung_of(key))

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
        # every row says whether it re-scores
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
            first = self.n_rows
            scores = self._replay_or_evaluate(new, extra)
            for i, (key, score) in enumerate(zip(new, scores)):
                self.cache[key] = score
                self.rows[key] = first + i
                if len(key) == 2 and math.isfinite(score) and score > self.best_score:
                    self.best_score, self.best_key = score, key
        self.n_cached += sum(1 for key in keys if key in self.cache) - len(new)
        self._report(len(new))
        return [self.cache.get(key) for key in keys], len(new)

    def _replay_or_evaluate(self, keys, extra):
        """Stored rows and scores of a batch on resume; else evaluate and store."""
        checkpoint = self.checkpoint
        stored = None
        if checkpoint is not None:
            started = time.perf_counter()
            stored = checkpoint.next_batch(keys, extra)
            self.seconds_checkpoint += time.perf_counter() - started
        if stored is not None:
            rows = stored_rows(stored, self.params_of, self.data.n_splits,
                               self.data.failed_entries)
            if len(rows) != len(keys):
                raise ValueError(
                    f"The checkpoint {checkpoint.path!r} holds a batch whose rows "
                    "do not match its candidates; delete it or choose another "
                    "checkpoint path."
                )
            self.table.add(rows)
            self.n_fits += stored.n_fits
            if self.fidelity is not None:
                self.fidelity.n_epochs += stored.n_epochs
            return list(stored.scores)
        params = [self.params_of(key) for key in keys]
        started = time.perf_counter()
        try:
            if self.fidelity is not None:
                # re-scored candidates (keys with a round) go to the full budget
                rows, scores, n_fits, n_epochs = self.fidelity.evaluate(
                    self.search, params, extra, self.X, self.y, self.data,
                    promote_all=any(len(key) > 2 for key in keys),
                    callback_contexts=self._fit_contexts(), parallel=self.parallel,
                )
                self.table.add(rows)
            else:
                rows, n_fits = self._cross_validate(params, extra)
                n_epochs = 0
                self.table.add(rows)
                scores = self.table.scores_of(rows)
        finally:
            self.seconds_fitting += time.perf_counter() - started
        self.n_fits += n_fits
        if checkpoint is not None:
            started = time.perf_counter()
            checkpoint.record(keys, extra, scores, rows, n_fits, n_epochs,
                              params_of=self.params_of)
            self.seconds_checkpoint += time.perf_counter() - started
        return scores

    def _fit_contexts(self):
        """A function giving the callback contexts of ``n`` fold fits run
        together: ``candidate-split-evaluation`` tasks of the ``search`` task,
        numbered on across batches (as ``GridSearchCV``'s, whose one batch is
        its whole search)."""
        if self.callback_ctx is None:
            return None

        def contexts(n):
            # made before the tasks are sent: they travel with them
            first = self._n_fit_tasks
            self._n_fit_tasks += n
            return [self.callback_ctx.subcontext(task_name="candidate-split-evaluation",
                                                 task_id=first + i) for i in range(n)]

        return contexts

    def _cross_validate(self, params, extra):
        """Rows of new candidates, each fitted and scored on every split."""
        search = self.search
        data = self.data
        n_splits = data.n_splits
        tasks = [(c, s) for c in range(len(params)) for s in range(n_splits)]
        make_contexts = self._fit_contexts()
        contexts = make_contexts(len(tasks)) if make_contexts else [None] * len(tasks)
        verbose = search.verbose or 0
        if verbose > 0:
            print(f"Fitting {n_splits} folds for each of {len(params)} candidates, "
                  f"totalling {len(tasks)} fits", flush=True)
        labels = [describe_params(p) if verbose > 1 else None for p in params]
        parallel = self.parallel
        if parallel is None:
            parallel = Parallel(n_jobs=search.n_jobs, pre_dispatch=search.pre_dispatch)
        base = self.base_estimator
        out = parallel(
            delayed(_fit_and_score_entry)(
                clone(base).set_params(**clone(params[c], safe=False)), self.X, self.y,
                data, s,
                callback_ctx=ctx, caller=search if ctx is not None else None,
                label=labels[c], verbose=verbose,
            )
            for (c, s), ctx in zip(tasks, contexts)
        )
        rows = [Row(p, out[c * n_splits:(c + 1) * n_splits], extra)
                for c, p in enumerate(params)]
        return rows, len(tasks)

    def warn_about_failures(self):
        """One ``FitFailedWarning`` for the failed fits of the whole search,
        counted as ``GridSearchCV`` counts them (its one batch is its whole
        search); nothing when none failed or when every fit failed (then
        :meth:`check_any_success` raises)."""
        entries = [entry for row in self.table.rows for entry in row.entries]
        n_failed = sum(entry["fit_error"] is not None for entry in entries)
        if not n_failed or n_failed == len(entries):
            return
        warn_caller(
            f"\n{n_failed} fits failed out of a total of {len(entries)}.\n"
            "The score on these train-test partitions for these parameters will "
            f"be set to {self.search.error_score}.\nIf these failures are not "
            "expected, you can try to debug them by setting error_score='raise'."
            f"\n\nBelow are more details about the failures:\n{failure_summary(entries)}",
            FitFailedWarning,
        )

    def check_any_success(self):
        """Raise if no fit of the whole search succeeded."""
        if not len(self.table):
            raise ValueError(
                "No candidate was evaluated: the search space or the budget "
                "leaves nothing to cross-validate."
            )
        if self.table.n_successful_fits():
            return
        entries = [entry for row in self.table.rows for entry in row.entries]
        raise ValueError(
            f"\nAll the {len(entries)} fits failed.\nIt is very likely that your "
            "model is misconfigured.\nYou can try to debug the error by setting "
            "error_score='raise'.\n\nBelow are more details about the failures:"
            f"\n{failure_summary(entries)}"
        )

    # -- results -----------------------------------------------------------
    def results(self, notes=None):
        """``cv_results_`` of every row so far, with the search's rankings
        (messages about non-finite scores go to the list ``notes``)."""
        results = self.table.format(notes=notes)
        if self.fidelity is not None:
            self.fidelity.rank(results, self.table.failed)
        names = self.table.metric_names()
        if names is not None:
            self.rank_rescored(results, self.table.objective())
        return results

    def results_so_far(self):
        """``cv_results_`` so far (for callbacks), without warnings."""
        if not len(self.table):
            return None
        return self.results()

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
        if self.progress is None:
            self.progress = SearchProgress(name, self.total)
        self.progress.update(self.n_rows, best, self.n_fits, line)

    def close(self):
        """Close the progress bar, if one was drawn."""
        if self.progress is not None:
            self.progress.close()
            self.progress = None

    def _ranked(self):
        """Candidate keys with a finite score, best first (re-scored ones by
        their re-scored mean first)."""
        def order(key):
            rescored = self.rescored_score(key)
            return (
                # the estimator's own configuration, when kept, comes first;
                # with multi-fidelity, full-budget candidates come next
                key != self.kept,
                not self.completed(key),
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
    def rescore(self, n_top, extra, initial=None):
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

        ``initial`` is the key of the estimator's own configuration to keep
        unless beaten beyond the noise (see :meth:`keep_unless_beaten`); it
        is re-scored with the others (so this too applies only where
        re-scoring does).
        """
        top = [key for key in self._ranked() if self.completed(key)][:n_top]
        guard = (initial is not None and math.isfinite(self.cache.get(initial, math.nan))
                 and self.completed(initial))
        if guard and top and initial not in top:
            top.append(initial)
        if len(top) < 2 or not all(self.rescore_seed_names[k[0]] for k in top):
            return
        keys = [key + (1,) for key in top]
        # rows are numbered in evaluation order: the re-scored rows follow
        self.rescored_rows = {self.rows[key]: self.n_rows + i for i, key in enumerate(top)}
        self.evaluate(keys, extra)
        for key, again in zip(top, keys):
            self.rescored[key] = [again]
        if guard:
            self.keep_unless_beaten(initial)

    def _split_scores(self, key):
        """Per-split test scores of every run of a candidate, run by run."""
        runs = [key] + self.rescored.get(key, [])
        return [self.table.split_scores(self.rows[k]) for k in runs if k in self.rows]

    def keep_unless_beaten(self, initial):
        """Rank the candidate ``initial`` first unless the best one beats it
        by more than one standard error of their paired split differences.

        Splits are paired by run and fold (the same folds for every
        candidate).
        """
        ranked = self._ranked()
        if not ranked:
            return
        best = ranked[0]
        if best != initial:
            mine, theirs = self._split_scores(initial), self._split_scores(best)
            n = min(len(mine), len(theirs))
            diff = np.concatenate([t - m for t, m in zip(theirs[:n], mine[:n])])
            diff = diff[np.isfinite(diff)]
            if diff.size == 0:
                return
            # at least two runs of each: two pairs or more
            se = diff.std(ddof=1) / math.sqrt(diff.size)
            if diff.mean() > se:
                return
        self.kept = initial

    def rescored_score(self, key):
        """Mean score of a candidate over its runs, if it was re-scored."""
        again = self.rescored.get(key)
        if not again:
            return None
        scores = [self.cache[key]] + [self.cache.get(k, math.nan) for k in again]
        return float(np.mean(scores)) if all(math.isfinite(s) for s in scores) else None

    def rank_rescored(self, results, metric):
        """``rescored_mean_test_<metric>`` column and ranks that put re-scored
        candidates first, by that mean (and a kept estimator's configuration
        before them)."""
        n = len(results["params"])
        name = f"rank_test_{metric}"
        if self.rescored_rows:
            means = np.asarray(results[f"mean_test_{metric}"], dtype=float)
            column = np.full(n, np.nan)
            for row, again in self.rescored_rows.items():
                if again < n:
                    column[row] = (means[row] + means[again]) / 2
            results[f"rescored_mean_test_{metric}"] = column
            if name in results and not np.isnan(column).all():
                previous = np.asarray(results[name])
                results[name] = _ranks_in_order(
                    # rows not re-scored keep their order and never tie
                    n, lambda i: (np.isnan(column[i]), -np.nan_to_num(column[i]),
                                  previous[i], i if np.isnan(column[i]) else -1))
        kept = self.rows.get(self.kept)
        if name in results and kept is not None and kept < n:
            previous = np.asarray(results[name])
            results[name] = _ranks_in_order(n, lambda i: (i != kept, previous[i]))


def _ranks_in_order(n, order_key):
    """Ranks 1.. of ``n`` rows sorted by ``order_key``; equal keys tie."""
    order = sorted(range(n), key=order_key)
    ranks = np.empty(n, dtype=np.int32)
    for pos, i in enumerate(order):
        tie = pos and order_key(i) == order_key(order[pos - 1])
        ranks[i] = ranks[order[pos - 1]] if tie else pos + 1
    return ranks


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
            info["cv_results"] = run.results_so_far()
            for callback in self.callbacks:
                if callback(self.search, info) and reason is None:
                    reason = "callback"
        return reason

