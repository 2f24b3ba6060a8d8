"""BayesSearchCV: sequential model-based search over scikit-optimize's Optimizer."""

import itertools
import math
import warnings
from inspect import signature
from numbers import Integral

import numpy as np
from sklearn.ensemble import GradientBoostingRegressor
from skopt import Optimizer
from skopt.learning import GradientBoostingQuantileRegressor

from .._sklearn_compat import Interval
from .._warnings import warn_caller
from ._base import _BaseSearch, _Strategy, fill_doc
from ._fidelity import make_fidelity
from ._space import initial_keys

__all__ = ["BayesSearchCV"]

_OPTIMIZER_KWARGS = frozenset(signature(Optimizer).parameters) - {
    "dimensions",
    "random_state",
    "n_random_starts",
}


def _space_size(sub):
    """Number of configurations of a subspace; None when it is continuous."""
    size = 1
    for dim in sub.dimensions:
        if dim.kind == "real":
            return None
        size *= len(dim.choices) if dim.kind == "cat" else dim.high - dim.low + 1
    return size


def _share_budget(n_iter, subspaces, n_given):
    """``n_iter`` shared between the subspaces.

    Every subspace first gets its given initial candidates (``n_given``); the
    rest goes one candidate at a time to the subspace with the fewest so far
    (the first of equals) among those that still hold configurations not
    budgeted for, so that a small finite subspace is not given more
    candidates than it holds while another has room. Only when every
    subspace is full is the remainder shared evenly again (its proposals
    repeat configurations; :func:`_warn_about_budgets` says so).
    """
    total_given = sum(n_given)
    if total_given > n_iter:
        raise ValueError(
            f"initial_candidates holds {total_given} candidates, more than "
            f"n_iter={n_iter}: every given candidate is evaluated and counts in "
            f"n_iter. Raise n_iter to at least {total_given}, or give fewer "
            "initial_candidates."
        )
    budgets = list(n_given)
    sizes = [_space_size(sub) for sub in subspaces]
    for _ in range(n_iter - total_given):
        room = [i for i, size in enumerate(sizes) if size is None or budgets[i] < size]
        pool = room or range(len(subspaces))
        budgets[min(pool, key=lambda i: (budgets[i], i))] += 1
    return budgets


def _warn_about_budgets(optimizers, subspaces, budgets, n_given):
    """Warn when a budget leaves nothing to the surrogate, or exceeds the space.

    skopt's Optimizer draws its first ``n_initial_points`` points at random
    (the given initial candidates take their places first): with a budget no
    larger, a Bayesian search is a random search. A finite subspace smaller
    than its budget makes the rest of the proposals repeats. Each subspace
    gets at most one of the two warnings, and none when every candidate of
    its budget is given.
    """
    for i, (opt, sub, budget, given) in enumerate(
            zip(optimizers, subspaces, budgets, n_given)):
        size = _space_size(sub)
        where = f" of subspace {i}" if len(subspaces) > 1 else ""
        if size is not None and budget > size:
            warn_caller(
                f"The search space{where} holds {size} configurations, fewer than "
                f"the {budget} candidates BayesSearchCV will propose: the rest "
                "repeat configurations already evaluated (they count towards "
                "n_iter but are not refitted). Lower n_iter, or use GridSearchCV "
                "for a space this small.",
                UserWarning,
            )
            continue
        n_init = opt.n_initial_points_
        drawn = budget - given
        if drawn <= 0 or budget > n_init or (size is not None and budget >= size):
            continue  # nothing to draw, or the whole (small) space is covered
        lower = (
            f", or lower optimizer_kwargs['n_initial_points'] (e.g. to {budget // 2})"
            if budget >= 2 else ""
        )
        beyond = f" beyond the {given} given" if given else ""
        warn_caller(
            f"BayesSearchCV draws all {drawn} candidates{where}{beyond} at random: "
            f"the budget does not exceed n_initial_points={n_init}, the random "
            "candidates drawn before the surrogate model proposes any. Raise "
            f"n_iter{lower}.",
            UserWarning,
        )


class _GBRTSurrogate(GradientBoostingQuantileRegressor):
    """scikit-optimize's "GBRT" surrogate, tagged as a regressor.

    scikit-optimize 0.10 checks ``is_regressor`` on its quantile gradient
    boosting model, which lacks scikit-learn >= 1.6 tags and so fails the
    check; this subclass adds the tag, and computes the predictive spread
    without ``np.in1d`` (removed in numpy 2.4).
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        return tags

    def predict(self, X, return_std=False, return_quantiles=False):
        # scikit-optimize 0.10's own std path calls np.in1d, gone in numpy 2.4
        if return_std and not return_quantiles:
            quantiles = list(self.quantiles)
            if not {0.16, 0.5, 0.84} <= set(quantiles):
                raise ValueError(
                    "return_std needs the quantiles 0.16, 0.5 and 0.84; got "
                    f"{quantiles}."
                )
            low, mean, high = (
                self.regressors_[quantiles.index(q)].predict(X) for q in (0.16, 0.5, 0.84)
            )
            return mean, (high - low) / 2.0
        return super().predict(X, return_std=return_std, return_quantiles=return_quantiles)


def _surrogate(base_estimator, seed):
    """Replace the "GBRT" string by a working equivalent model."""
    if isinstance(base_estimator, str) and base_estimator.upper() == "GBRT":
        return _GBRTSurrogate(
            base_estimator=GradientBoostingRegressor(n_estimators=30, loss="quantile"),
            random_state=seed,
        )
    return base_estimator


class _DecodedConstraint:
    """Give a user's ``space_constraint`` parameter dicts, not encoded points."""

    def __init__(self, subspace, constraint):
        self.subspace = subspace
        self.constraint = constraint

    def __call__(self, point):
        return self.constraint(self.subspace.params(self.subspace.canonical(point)))


class BayesSearchCV(_BaseSearch):
    """Bayesian optimisation of hyperparameters with cross-validation.

    A surrogate model of the cross-validated score (a Gaussian process by
    default) proposes the next candidates through scikit-optimize's
    ``Optimizer`` ask/tell interface. Everything else -- ``cv_results_``,
    ``refit``, multi-metric scoring, ``error_score``, ``n_jobs`` and any joblib
    backend, metadata routing -- behaves as in
    :class:`~sklearn.model_selection.GridSearchCV`.

    Unlike scikit-optimize's own ``BayesSearchCV``, a candidate whose fits
    fail, or whose mean score is not finite, does not stop the search: it is
    recorded in ``cv_results_`` with ``error_score`` and told to the surrogate
    as the *worst finite score observed so far* (as soon as there is one).
    A configuration proposed twice is cross-validated once: the repeat is told
    the cached score and adds no row to ``cv_results_``.

    Parameters
    ----------
    {{estimator}}
    search_spaces : dict, list of dict or None, default=None
        Parameter names mapped to scikit-optimize dimensions (``Integer``,
        ``Real``, ``Categorical``), ``(low, high)`` or ``(low, high, prior)``
        tuples, or lists of choices (any Python objects). A list of dicts
        describes subspaces searched side by side, sharing ``n_iter``: each
        subspace gets its given ``initial_candidates`` first, and the rest is
        shared evenly, except that a finite subspace gets no more candidates
        than the configurations it holds while another subspace has room.
        ``None`` uses :func:`default_lstm_space` of ``estimator``.
    n_iter : int, default=15
        Number of proposed candidates (over all subspaces). The default is
        small because an LSTM candidate is expensive: with the default
        network and space, a search on GunPoint (50 series) took about nine
        minutes on 2 CPU cores (``benchmarks/real_data.py``). Proposals that
        repeat an evaluated configuration count but are not refitted, so
        ``cv_results_`` may hold fewer rows. The first ``n_initial_points``
        of them (10 by default, see ``optimizer_kwargs``) are drawn at random,
        never drawing a configuration twice while the space has others left;
        a ``UserWarning`` says so when ``n_iter`` leaves none to the
        surrogate, when the space holds fewer configurations than ``n_iter``,
        and, after the search, when the surrogate proposed configurations
        already evaluated while others were left.
    n_points : int, default=1
        Number of candidates proposed at once (constant-liar strategy) and
        cross-validated in parallel.
    optimizer_kwargs : dict, default=None
        Extra arguments of :class:`skopt.Optimizer`, e.g. ``base_estimator``
        (``"GP"``, ``"RF"``, ``"ET"``, ``"GBRT"`` or a regressor; not
        ``"DUMMY"``: use :class:`~sklearn.model_selection.RandomizedSearchCV`
        for a random search), ``acq_func``,
        ``n_initial_points``, ``initial_point_generator``, ``acq_optimizer``.
        The random state comes from ``random_state``. A ``space_constraint``
        callable receives a dict of parameter values and returns whether the
        candidate is allowed. ``model_queue_size`` defaults to 1 (only the
        latest surrogate model is kept).
    resource : {"max_epochs"} or None, default=None
        Turns on multi-fidelity search (successive halving over training
        epochs) for an LSTM estimator, alone or as the final step of a
        Pipeline. Each batch of ``n_points`` candidates is trained for
        ``min_resource`` epochs on every fold; the best ``1 /
        reduction_factor`` continue training from where they stopped, and so
        on up to ``max_resource`` epochs. The surrogate is told the final
        score of the candidates that got the full budget, and for a stopped
        candidate its last-rung score capped at the lowest final score of its
        batch. Use ``n_points >= reduction_factor`` (ideally a few times
        more), or no candidate is ever stopped. ``None`` trains every
        candidate for the estimator's own ``max_epochs``.
    {{fidelity_budgets}}
    scoring : str, callable, list, tuple, dict or None, default=None
        Strategy to evaluate the candidates, as in
        :class:`~sklearn.model_selection.GridSearchCV`. With several metrics,
        the surrogate models the ``refit`` metric when ``refit`` names one,
        otherwise the first metric.
    n_jobs : int, default=None
        Number of jobs to run in parallel (fits of one batch of candidates).
    refit : bool, str or callable, default=True
        Refit the best candidate on the whole data set, as in
        :class:`~sklearn.model_selection.GridSearchCV`.
    {{cv_options}}
    verbose : int, default=0
        Progress output: ``>= 1`` prints one line per batch (candidates done
        out of ``n_iter``, fits, best score so far); ``>= 2`` adds the best
        parameters.
    {{pre_dispatch}}
    random_state : int, RandomState instance or None, default=None
        Makes the search reproducible: seeds the optimisers and, for each
        candidate, the ``random_state`` parameters of the estimator (and of its
        nested estimators) that are ``None`` and not searched over, with a
        stable hash of the candidate's configuration. ``None`` draws fresh
        entropy; the global random, numpy and torch states are never used.
    error_score : "raise" or float, default=np.nan
        Score recorded for a fit that fails. A candidate with a failed fit
        ranks last in ``cv_results_`` whatever this value.
    {{return_train_score}}
    n_iter_no_change : int, default=None
        Stop after this many batches without improvement of the best score.
    max_time : float, default=None
        Stop once this many seconds have passed (checked between batches).
    initial_candidates : "estimator", list of dict or None, default="estimator"
        Candidates evaluated first. ``"estimator"``: the estimator's own
        values of the searched parameters, when they all lie in the space,
        so that the search starts from the configuration you have (with the
        default space, the untuned defaults); a list of parameter dicts,
        each inside the space: those, all of them, ``n_points`` at a time;
        ``None``: none. They count in ``n_iter`` (a ``ValueError`` when there
        are more of them than ``n_iter``) and are told to the surrogate.
    {{rescore_top}}
    {{prefer_estimator}}
    callbacks : callable or list of callables, default=None
        Called after each batch as ``callback(search, record)`` where
        ``record`` is a dict with ``iteration``, ``n_candidates``, ``n_fits``,
        ``best_score``, ``best_params``, ``elapsed`` and ``cv_results`` (the
        results so far). A callback returning True stops the search.
    {{checkpoint}}

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        As in :class:`~sklearn.model_selection.GridSearchCV`, plus an
        ``iteration`` column (the batch of each candidate). Per-candidate seeds
        appear as ``param_..._random_state`` columns.
    {{fitted}}
    optimizers_ : list of skopt.Optimizer
        The optimiser of each subspace, with every observation told to it
        (scores negated, as scikit-optimize minimises). Its dimensions follow
        the sorted parameter names, and categorical ones hold the *index* of
        each choice.
    n_fits_ : int
        Number of cross-validation fits run (the refit excluded); with
        ``resource``, every fold fit or continuation of a rung counts.
    {{fidelity_fitted}}
    stop_reason_ : str
        ``"n_iter"``, ``"no_improvement"``, ``"max_time"`` or ``"callback"``.

    See Also
    --------
    GeneticSearchCV : evolutionary search sharing the same search spaces.
    default_lstm_space : the space used when ``search_spaces=None``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from sklstm.search import BayesSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = BayesSearchCV(
    ...     SVC(),
    ...     {"C": (1e-2, 1e2, "log-uniform"), "kernel": ["linear", "rbf"]},
    ...     n_iter=6, cv=3, random_state=0,
    ...     optimizer_kwargs={"n_initial_points": 3},
    ... )
    >>> bool(search.fit(X, y).best_score_ > 0.9)
    True
    >>> len(search.cv_results_["params"]) <= 6
    True
    """

    _parameter_constraints: dict = {
        **_BaseSearch._parameter_constraints,
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "n_points": [Interval(Integral, 1, None, closed="left")],
        "optimizer_kwargs": [dict, None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        estimator,
        search_spaces=None,
        *,
        n_iter=15,
        n_points=1,
        optimizer_kwargs=None,
        resource=None,
        min_resource=None,
        max_resource=None,
        reduction_factor=3,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
        n_iter_no_change=None,
        max_time=None,
        callbacks=None,
        checkpoint=None,
        rescore_top=3,
        initial_candidates="estimator",
        prefer_estimator=True,
    ):
        super().__init__(
            estimator, search_spaces, resource=resource, min_resource=min_resource,
            max_resource=max_resource, reduction_factor=reduction_factor,
            scoring=scoring, n_jobs=n_jobs, refit=refit, cv=cv, verbose=verbose,
            pre_dispatch=pre_dispatch, random_state=random_state,
            error_score=error_score, return_train_score=return_train_score,
            max_time=max_time, callbacks=callbacks, checkpoint=checkpoint,
            rescore_top=rescore_top, initial_candidates=initial_candidates,
            prefer_estimator=prefer_estimator,
        )
        self.n_iter = n_iter
        self.n_points = n_points
        self.optimizer_kwargs = optimizer_kwargs
        self.n_iter_no_change = n_iter_no_change

    def _checked_optimizer_kwargs(self):
        kwargs = dict(self.optimizer_kwargs or {})
        if "random_state" in kwargs:
            raise ValueError(
                "optimizer_kwargs must not hold random_state; use the "
                "random_state parameter of BayesSearchCV."
            )
        unknown = set(kwargs) - _OPTIMIZER_KWARGS
        if unknown:
            raise ValueError(
                f"Unknown optimizer_kwargs {sorted(unknown)}; valid keys are "
                f"{sorted(_OPTIMIZER_KWARGS)}."
            )
        n_init = kwargs.get("n_initial_points", 10)
        if not isinstance(n_init, Integral) or isinstance(n_init, bool) or n_init < 1:
            raise ValueError(
                "optimizer_kwargs n_initial_points must be an int >= 1 (the random "
                "candidates that give the surrogate its first data); got "
                f"{n_init!r}."
            )
        constraint = kwargs.get("space_constraint")
        if constraint is not None and not callable(constraint):
            raise ValueError(
                "optimizer_kwargs space_constraint must be a callable that takes a "
                "dict of parameter values and returns True for allowed candidates; "
                f"got {constraint!r}."
            )
        surrogate = kwargs.get("base_estimator")
        if isinstance(surrogate, str) and surrogate.upper() == "DUMMY":
            # skopt's "DUMMY" (no model) fails its own regressor check with
            # scikit-learn >= 1.6, and would make this a random search
            raise ValueError(
                "optimizer_kwargs base_estimator='DUMMY' (random sampling, no "
                "surrogate) is not supported; use "
                "sklearn.model_selection.RandomizedSearchCV for a random search, "
                "or one of 'GP', 'RF', 'ET', 'GBRT' or a scikit-learn regressor."
            )
        return kwargs

    def _make_strategy(self, subspaces, n_splits, draw_seeds):
        """The optimisers of the subspaces, sharing ``n_iter``."""
        kwargs = self._checked_optimizer_kwargs()
        fidelity = make_fidelity(self, subspaces)
        seeds = draw_seeds(len(subspaces))
        # keep only the latest surrogate: the fitted search stays small
        kwargs.setdefault("model_queue_size", 1)
        optimizers = []
        for sub, seed in zip(subspaces, seeds):
            opt_kwargs = dict(kwargs)
            if "base_estimator" in opt_kwargs:
                opt_kwargs["base_estimator"] = _surrogate(opt_kwargs["base_estimator"], seed)
            if opt_kwargs.get("space_constraint") is not None:
                opt_kwargs["space_constraint"] = _DecodedConstraint(
                    sub, opt_kwargs["space_constraint"]
                )
            optimizers.append(Optimizer(sub.to_skopt(), random_state=seed, **opt_kwargs))
        initial = initial_keys(subspaces, self.estimator, self.initial_candidates)
        constraint = kwargs.get("space_constraint")
        if constraint is not None:
            # an initial candidate the constraint forbids is not evaluated
            allowed = [key for key in initial if constraint(subspaces[key[0]].params(key[1]))]
            if len(allowed) < len(initial) and self.initial_candidates != "estimator":
                raise ValueError(
                    "space_constraint rejects some of the initial_candidates; "
                    "give only candidates it allows."
                )
            initial = allowed
        n_given = [sum(1 for j, _ in initial if j == i) for i in range(len(subspaces))]
        budgets = _share_budget(self.n_iter, subspaces, n_given)
        _warn_about_budgets(optimizers, subspaces, budgets, n_given)
        constraints = [
            None if constraint is None else _DecodedConstraint(sub, constraint)
            for sub in subspaces
        ]
        return _BayesStrategy(self, subspaces, optimizers, budgets, initial, fidelity,
                              constraints)



def _tell(optimizers, pending, run):
    """Tell every optimiser its pending observations (scores negated).

    A failed or non-finite candidate is told the worst finite score
    observed so far; until a finite score exists, it waits.
    """
    finite = [s for s in run.cache.values() if math.isfinite(s)]
    if not finite:
        return
    penalty = min(finite)
    for opt, items in zip(optimizers, pending):
        if not items:
            continue
        xs = [x for x, _ in items]
        ys = [-(s if s is not None and math.isfinite(s) else penalty)
              for _, s in items]
        opt.tell(xs, ys)
        items.clear()


class _BayesStrategy(_Strategy):
    """Ask the optimisers for candidates, evaluate them, tell the scores."""

    round_column = "iteration"

    def __init__(self, search, subspaces, optimizers, budgets, initial, fidelity,
                 constraints):
        self.search = search
        self.subspaces = subspaces
        self.optimizers = optimizers
        self.constraints = constraints
        self.budgets = list(budgets)
        self.proposed = [0] * len(subspaces)
        self.initial = list(initial)
        self.fidelity = fidelity
        self.total = search.n_iter
        self.n_no_change = search.n_iter_no_change

    def run(self, run, stop):
        search = self.search
        subspaces, optimizers, budgets = self.subspaces, self.optimizers, self.budgets
        initial = self.initial
        fidelity = self.fidelity
        pending = [[] for _ in subspaces]
        reason = "n_iter"
        iteration = 0
        while reason == "n_iter" and any(b > 0 for b in budgets):
            for i, opt in enumerate(optimizers):
                if budgets[i] <= 0:
                    continue
                n = min(search.n_points, budgets[i])
                budgets[i] -= n
                # the initial candidates open their subspace's first batches,
                # n_points at a time
                mine = [v for j, v in initial if j == i]
                given = [list(v) for v in mine[:n]]
                initial = [(j, v) for j, v in initial if j != i] + [(i, v) for v in mine[n:]]
                n -= len(given)
                with warnings.catch_warnings():
                    # repeats are expected in a small space (said once, when
                    # the search starts); skopt would warn at every ask
                    warnings.filterwarnings(
                        "ignore", "The objective has been evaluated", UserWarning,
                    )
                    if n > 1 and opt.Xi:
                        points = given + opt.ask(n_points=n)
                    else:  # random phase: fresh draws, no ask cache
                        points = given + [opt.ask() for _ in range(n)]
                    points = self._without_repeats(i, points, len(given), run)
                self.proposed[i] += len(points)
                keys = [(i, subspaces[i].canonical(p)) for p in points]
                scores, _ = run.evaluate(keys, {"iteration": iteration})
                if fidelity is not None:
                    scores = fidelity.surrogate_scores(
                        [run.rung_of(key) for key in keys], scores
                    )
                pending[i].extend(zip(points, scores))
                _tell(optimizers, pending, run)
                record = {
                    "iteration": iteration,
                    "n_candidates": run.n_rows,
                    "n_fits": run.n_fits,
                    "best_score": run.best_score,
                    "elapsed": run.elapsed(),
                }
                iteration += 1
                stopped = stop(run, record)
                if stopped:
                    reason = stopped
                    break
        return reason, iteration

    def _without_repeats(self, i, points, n_given, run):
        """``points`` with the random draws that repeat a configuration drawn again.

        While the optimiser is in its random phase (fewer than
        ``n_initial_points`` observations), a drawn configuration that was
        already evaluated, or already proposed in this batch, is replaced by
        a fresh one, as long as the subspace has configurations left. The
        surrogate's own proposals are kept as they are.
        """
        opt, sub = self.optimizers[i], self.subspaces[i]
        n_random = opt.n_initial_points_ - len(opt.Xi)
        taken = {key[1] for key in run.cache if key[0] == i and len(key) == 2}
        taken.update(sub.canonical(p) for p in points[:n_given])
        size = _space_size(sub)
        out = list(points[:n_given])
        for j, point in enumerate(points[n_given:]):
            values = sub.canonical(point)
            if j < n_random and values in taken and (size is None or len(taken) < size):
                fresh = self._fresh_point(i, taken, size)
                if fresh is not None:
                    point, values = fresh, sub.canonical(fresh)
            taken.add(values)
            out.append(point)
        return out

    def _fresh_point(self, i, taken, size, tries=20):
        """A random point of subspace ``i`` outside ``taken``, or None."""
        opt, sub = self.optimizers[i], self.subspaces[i]
        for _ in range(tries):
            point = opt.ask()  # a random draw in the random phase
            if sub.canonical(point) not in taken:
                return point
        if size is None or size > 100_000:
            return None
        # the optimiser keeps drawing taken points (a space nearly covered, or
        # a fixed initial design): choose among the configurations left
        ranges = [range(len(d.choices)) if d.kind == "cat" else range(d.low, d.high + 1)
                  for d in sub.dimensions]
        allowed = self.constraints[i]
        left = [list(c) for c in itertools.product(*ranges)
                if c not in taken and (allowed is None or allowed(list(c)))]
        if not left:
            return None
        return left[int(opt.rng.randint(len(left)))]

    def finish(self, search, run):
        search.optimizers_ = self.optimizers

    def notes(self, run):
        """Warnings to give once the search has ended: a finite subspace in
        which fewer configurations were evaluated than proposed, while some
        were left."""
        notes = []
        for i, sub in enumerate(self.subspaces):
            size = _space_size(sub)
            if size is None:
                continue
            distinct = sum(1 for key in run.cache if key[0] == i and len(key) == 2)
            proposed = self.proposed[i]
            if distinct < min(proposed, size):
                where = f" of subspace {i}" if len(self.subspaces) > 1 else ""
                notes.append(
                    f"BayesSearchCV proposed {proposed} candidates{where} but "
                    f"evaluated only {distinct} distinct configurations of the "
                    f"{size} the space holds: the surrogate model proposed "
                    "configurations already evaluated. Raise "
                    "optimizer_kwargs['n_initial_points'], or lower n_iter."
                )
        return notes


fill_doc(BayesSearchCV, unit="batch")
