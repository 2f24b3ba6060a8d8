"""The shared base of BayesSearchCV and GeneticSearchCV.

A search here owns its fit loop, written with scikit-learn's public pieces
only: :func:`~sklearn.model_selection.check_cv` for the splits,
:func:`~sklearn.metrics.check_scoring` for the scorers,
:func:`~sklearn.base.clone`, joblib through :mod:`sklearn.utils.parallel`,
:func:`~sklearn.utils.metadata_routing.process_routing` for metadata routing,
and a per-split fit-and-score of its own (:mod:`._evaluation`). It does what
scikit-learn's ``BaseSearchCV`` does for ``GridSearchCV`` (``cv_results_``,
``refit``, multi-metric scoring, ``error_score``, the delegated ``predict``
and friends) and what that class cannot do for a sequential search: a
candidate whose fits all fail is recorded and the search goes on, rows are
replayed from a checkpoint, training continues across the rungs of a
multi-fidelity schedule, and the best candidates are re-scored.

A searcher subclass supplies only its strategy (:class:`_Strategy`): how
candidates are proposed from the scores told so far.
"""

import numbers
import os
import time
from copy import deepcopy
from numbers import Integral, Real

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.utils import get_tags, indexable
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.parallel import Parallel
from sklearn.utils.validation import check_is_fitted

from .._warnings import warn_caller
from .._sklearn_compat import (
    CallbackSupportMixin,
    HasMethods,
    SEARCHES_WEIGH_SCORES,
    Interval,
    StrOptions,
    call_with_callbacks,
    estimator_block,
    root_callback_context,
    scorer_accepts_sample_weight,
    validate_own_params,
)
from . import _fidelity
from ._checkpoint import checkpoint_context
from ._distributed import put_once, scatter_once
from ._evaluation import FoldPlan, callback_metadata, n_samples
from ._run import (
    _check_callbacks,
    _draw_seeds,
    _SearchRun,
    _StoppingRules,
    _torch_thread_share,
)
from ._space import _parse_search_spaces, check_space_values, initial_keys

__all__ = []


# --------------------------------------------------------------- the docs
_DOCS = {
    "estimator": """\
    estimator : estimator object
        The estimator to tune (an LSTM estimator, a Pipeline, or any
        scikit-learn estimator).""",
    "fidelity_budgets": """\
    min_resource : int, default=None
        Epochs of the first rung (at least this many: the rungs are
        ``max_resource / reduction_factor**k``, rounded). ``None`` means
        ``max_resource / reduction_factor**2``, i.e. three rungs.
    max_resource : int, default=None
        Epochs of the last rung; ``None`` means the estimator's
        ``max_epochs``. The refitted ``best_estimator_`` is trained for
        ``max_resource`` epochs too, as the best candidate was.
    reduction_factor : float, default=3
        Only ``1 / reduction_factor`` of a rung's candidates are promoted to
        the next rung, which trains them ``reduction_factor`` times longer.""",
    "cv_options": """\
    cv : int, cross-validation generator or iterable, default=None
        Cross-validation splitting strategy (5-fold by default).""",
    "pre_dispatch": """\
    pre_dispatch : int or str, default="2*n_jobs"
        Number of jobs dispatched during parallel execution.""",
    "return_train_score": """\
    return_train_score : bool, default=False
        Whether ``cv_results_`` includes training scores.""",
    "rescore_top": """\
    rescore_top : int, default=3
        After the search, the ``rescore_top`` best candidates are
        cross-validated once more, on the same folds, with fresh weight seeds
        (the LSTM estimator's ``random_state`` is varied; at the full budget
        with multi-fidelity search; only for an LSTM estimator, alone or in
        a pipeline). The one with the best mean over its two runs
        is ranked first and refitted: the best score of a search is the
        maximum over many noisy training runs and favours a configuration
        that was lucky once. Costs ``rescore_top`` more candidates (not
        counted in ``max_fits`` or ``max_time``); their rows are in
        ``cv_results_`` with ``rescored`` True, and
        ``rescored_mean_test_<metric>`` holds the two-run mean of each
        re-scored candidate. 0 turns it off.""",
    "prefer_estimator": """\
    prefer_estimator : bool, default=True
        With ``initial_candidates="estimator"``, keep the estimator as given
        unless a candidate beats it by more than the noise: the estimator's
        configuration is re-scored together with the best candidates (one
        more candidate), and the best of them is chosen only if its mean
        over its runs exceeds the estimator's by more than one standard
        error of their fold-by-fold differences; otherwise the estimator's
        configuration is ranked first and refitted. A search then cannot
        return a configuration that only looked better by the luck of a few
        training runs. Applies where re-scoring does (``rescore_top >= 1``,
        an LSTM estimator), when the estimator's values lie in the space
        and (with multi-fidelity search) it reached the full budget;
        ``kept_estimator_`` says whether it was kept.""",
    "checkpoint": """\
    checkpoint : str, os.PathLike or None, default=None
        File in which the state of the search is saved, atomically, after
        every {unit}. Fitting again with the same file resumes: the search
        replays its proposals from the start, takes the results of finished
        candidates from the file instead of refitting them, and ends with the
        same ``cv_results_`` and ``best_params_`` as an uninterrupted run
        (with ``max_time``, a resumed run may stop elsewhere). A file written
        by a different search (estimator, search space, search parameters or
        data) raises a ``ValueError``. The file is kept after the fit. It
        holds plain data (JSON) and a checksum: reading it never runs code,
        and a damaged file is refused. A lock on ``<checkpoint>.lock`` makes
        a second search on the same file fail with a ``RuntimeError``; the
        directory must be writable (checked before the first fit).""",
    "fitted": """\
    best_estimator_ : estimator
        The best candidate refitted on the whole data (if ``refit``).
    best_score_ : float
        Mean cross-validated score of the best candidate.
    best_params_ : dict
        Parameters of the best candidate.
    best_index_ : int
        Row of the best candidate in ``cv_results_``.
    scorer_ : function or dict
        Scorer(s) used.
    n_splits_ : int
        Number of cross-validation splits.
    refit_time_ : float
        Seconds spent refitting the best candidate.
    multimetric_ : bool
        Whether several metrics were used.
    search_overhead_ : float
        Wall seconds the search spent on anything but cross-validating
        candidates: proposing them (surrogate fits and asks, genetic
        variation and selection), bookkeeping, progress output, callbacks
        and checkpoint writes. Small next to ``timings_["candidates"]``
        unless the fits themselves are very fast.
    timings_ : dict
        Wall seconds by part: ``"search"`` (the whole search before the
        refit) = ``"candidates"`` (cross-validation of the candidates,
        re-scoring included) + ``"checkpoint"`` (reading and writing it) +
        ``"searcher"`` (the rest: proposing candidates, bookkeeping,
        callbacks); ``"refit"`` the refit of the best candidate.
    kept_estimator_ : bool
        Whether the configuration refitted is the estimator's own (see
        ``prefer_estimator``): because it scored best, or because no
        candidate beat it by more than the noise.""",
    "fidelity_fitted": """\
    n_resources_ : list of int
        Epochs of each rung (only with ``resource``); ``cv_results_`` then
        has ``n_resources`` (epochs the candidate was trained for) and
        ``rung`` (index of the highest rung it reached) columns, and holds
        each candidate's scores at that rung. Candidates that got the full
        budget rank above the stopped ones.
    n_epochs_spent_ : int
        Epochs trained over all folds and candidates (only with
        ``resource``).""",
}


def fill_doc(cls, unit):
    """Put the shared parameter and attribute descriptions into ``cls``'s
    docstring, where it has a line ``{{name}}``; ``{unit}`` becomes ``unit``."""
    doc = cls.__doc__
    for name, text in _DOCS.items():
        doc = doc.replace("    {{" + name + "}}", text.replace("{unit}", unit))
    if "{{" in doc:  # pragma: no cover - a misspelt marker
        raise RuntimeError(f"Unknown documentation marker in {cls.__name__}.")
    cls.__doc__ = doc
    return cls


def _time_ordered_cv(estimator, cv):
    """The folds an estimator declares for itself, given ``cv=None`` or an int.

    A forecaster (alone or as a pipeline's last step) scores the steps that
    follow its training period, so it declares folds in time order through
    its ``_default_cv(n_splits)`` (expanding training windows, none of which
    sees its test period, and a clear error for a series too short for
    them); ``None`` for other estimators or an explicit splitter.
    """
    if cv is not None and not isinstance(cv, numbers.Integral):
        return None
    final = estimator
    while hasattr(final, "steps"):
        final = final.steps[-1][1]
    default_cv = getattr(final, "_default_cv", None)
    if not callable(default_cv):
        return None
    return default_cv(3 if cv is None else int(cv))


# --------------------------------------------------------- the strategy
class _Strategy:
    """How a searcher proposes candidates; built by ``_make_strategy``.

    Attributes
    ----------
    total : int
        Most candidates the search can evaluate (for progress output).
    n_no_change : int or None
        Batches without improvement after which the search stops.
    round_column : str
        The ``cv_results_`` column numbering the batches.
    fidelity : _SuccessiveHalving or None
        The multi-fidelity schedule of the search, if any.
    """

    total = 0
    n_no_change = None
    round_column = "iteration"
    fidelity = None

    def run(self, run, stop):  # pragma: no cover - abstract
        """Propose, evaluate through ``run`` and learn until done.

        Returns the stop reason and the number of batches (rounds) run.
        """
        raise NotImplementedError

    def finish(self, search, run):
        """Set the searcher's own fitted attributes."""

    def notes(self, run):
        """Warnings (texts) to give the user once the search has ended."""
        return []


class _Prepared:
    """What ``fit`` settled before the search runs."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


def _check_refit(search, attr):
    if not search.refit:
        raise AttributeError(
            f"This {type(search).__name__} instance was initialized with "
            f"`refit=False`. {attr} is available only after refitting on the best "
            "parameters. You can refit an estimator manually using the "
            "`best_params_` attribute"
        )


def _estimator_has(attr):
    """The refitted (else the unfitted) estimator has ``attr``."""

    def check(self):
        _check_refit(self, attr)
        if hasattr(self, "best_estimator_"):
            getattr(self.best_estimator_, attr)
        else:
            getattr(self.estimator, attr)
        return True

    return check


def _routing_enabled():
    return bool(get_config().get("enable_metadata_routing", False))


class _Routed:
    """The parameters of one ``fit`` per destination."""

    def __init__(self, fit, split, score):
        self.fit = fit
        self.split = split
        self.score = score


# ------------------------------------------------------------- the base
class _BaseSearch(MetaEstimatorMixin, CallbackSupportMixin, BaseEstimator):
    """Shared base of the sklstm searchers: a search that owns its fit loop.

    Subclasses define ``__init__`` with their full signature (calling this
    one for the shared parameters) and ``_make_strategy``.
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "search_spaces": [dict, list, tuple, None],
        "scoring": [StrOptions(set(get_scorer_names())), callable, list, tuple,
                    dict, None],
        "n_jobs": [numbers.Integral, None],
        "refit": ["boolean", str, callable],
        "cv": ["cv_object"],
        "verbose": ["verbose"],
        "pre_dispatch": [numbers.Integral, str],
        "error_score": [StrOptions({"raise"}), numbers.Real],
        "return_train_score": ["boolean"],
        **_fidelity.FIDELITY_CONSTRAINTS,
        "random_state": ["random_state"],
        "max_time": [Interval(Real, 0, None, closed="neither"), None],
        "callbacks": [callable, list, tuple, None],
        "checkpoint": [str, os.PathLike, None],
        "rescore_top": [Interval(Integral, 0, None, closed="left")],
        "initial_candidates": [StrOptions({"estimator"}), list, tuple, None],
        "prefer_estimator": ["boolean"],
    }

    def __init__(self, estimator, search_spaces=None, *, resource=None,
                 min_resource=None, max_resource=None, reduction_factor=3,
                 scoring=None, n_jobs=None, refit=True, cv=None, verbose=0,
                 pre_dispatch="2*n_jobs", random_state=None, error_score=np.nan,
                 return_train_score=False, max_time=None, callbacks=None,
                 checkpoint=None, rescore_top=3, initial_candidates="estimator",
                 prefer_estimator=True):
        self.estimator = estimator
        self.search_spaces = search_spaces
        self.resource = resource
        self.min_resource = min_resource
        self.max_resource = max_resource
        self.reduction_factor = reduction_factor
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.pre_dispatch = pre_dispatch
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.max_time = max_time
        self.callbacks = callbacks
        self.checkpoint = checkpoint
        self.rescore_top = rescore_top
        self.initial_candidates = initial_candidates
        self.prefer_estimator = prefer_estimator

    def _make_strategy(self, subspaces, n_splits, draw_seeds):  # pragma: no cover
        """Check the searcher's own options and build its :class:`_Strategy`.

        ``draw_seeds(n)`` returns ``n`` seeds for the strategy (the same ones
        on resume from a checkpoint).
        """
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = deepcopy(inner.classifier_tags)
        tags.regressor_tags = deepcopy(inner.regressor_tags)
        # cross-validation sees 'precomputed' kernels through the search
        tags.input_tags.pairwise = inner.input_tags.pairwise
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.array_api_support = inner.array_api_support
        return tags

    def _sk_visual_block_(self):
        # the HTML display shows the refitted best estimator once there is
        # one, as GridSearchCV's does
        if hasattr(self, "best_estimator_"):
            return estimator_block("best_estimator_", self.best_estimator_)
        return estimator_block("estimator", self.estimator)

    # -- scoring and routing --------------------------------------------------
    def _scorers(self):
        """``(scorer, metric_names, scorer_)`` of the search.

        ``scorer`` is what a split is scored with; ``metric_names`` names the
        metrics of a multi-metric ``scoring`` (None otherwise); ``scorer_``
        is the fitted attribute (a dict by metric for several metrics).
        """
        scoring = self.scoring
        if callable(scoring):
            return scoring, None, scoring
        if scoring is None or isinstance(scoring, str):
            scorer = check_scoring(self.estimator, scoring)
            return scorer, None, scorer
        scorer = check_scoring(self.estimator, scoring,
                               raise_exc=(self.error_score == "raise"))
        names = list(scoring)
        self._check_refit_for_multimetric(names)
        by_name = (scoring if isinstance(scoring, dict)
                   else {name: name for name in names})
        scorers = {name: check_scoring(self.estimator, spec)
                   for name, spec in by_name.items()}
        return scorer, names, scorers

    def _check_refit_for_multimetric(self, names):
        valid = isinstance(self.refit, str) and self.refit in names
        if self.refit is not False and not valid and not callable(self.refit):
            raise ValueError(
                "For multi-metric scoring, the parameter refit must be set to a "
                "scorer key or a callable to refit an estimator with the best "
                "parameter setting on the whole data and make the best_* "
                "attributes available for that metric. If this is not needed, "
                f"refit should be set to False explicitly. {self.refit!r} was "
                "passed."
            )

    def get_metadata_routing(self):
        """Get the metadata routing of this search.

        The estimator's ``fit`` receives what it requests, the scorer what it
        requests for ``score`` (in ``fit`` and ``score``), the splitter what
        it requests for ``split``. See scikit-learn's metadata routing user
        guide.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        router = MetadataRouter(owner=type(self).__name__)
        router.add(estimator=self.estimator,
                   method_mapping=MethodMapping().add(caller="fit", callee="fit"))
        router.add(scorer=self._scorers()[0],
                   method_mapping=MethodMapping().add(caller="score", callee="score")
                   .add(caller="fit", callee="score"))
        router.add(splitter=self.cv,
                   method_mapping=MethodMapping().add(caller="fit", callee="split"))
        return router

    def _route(self, params, scorer, by_metric):
        """Split ``fit``'s parameters between the estimator, splitter and scorer."""
        if _routing_enabled():
            routed = process_routing(self, "fit", **params)
            return _Routed(dict(routed.estimator.fit), dict(routed.splitter.split),
                           dict(routed.scorer.score))
        params = dict(params)
        groups = params.pop("groups", None)
        score = {}
        if (params.get("sample_weight") is not None and SEARCHES_WEIGH_SCORES
                and self._scoring_takes_weights(scorer, by_metric)):
            score["sample_weight"] = params["sample_weight"]
        return _Routed(params, {"groups": groups}, score)

    def _scoring_takes_weights(self, scorer, by_metric):
        """Whether the scorer(s) take ``sample_weight``; a warning for each that
        does not, as ``BaseSearchCV`` gives (several metrics: the weights go
        to those that take them)."""
        named = by_metric.items() if isinstance(by_metric, dict) else [(None, scorer)]
        refusing = [(name, s) for name, s in named if not scorer_accepts_sample_weight(s)]
        for name, refused in refusing:
            what = f"{name}={refused}" if name is not None else f"{refused}"
            warn_caller(
                f"The scoring {what} does not support sample_weight, which may "
                f"lead to statistically incorrect results when fitting "
                f"{type(self).__name__} with sample_weight: the candidates are "
                "scored without the weights. Use a scorer that takes "
                "sample_weight, or enable metadata routing to choose what it "
                "receives.",
                UserWarning,
            )
        return len(refusing) < len(named)

    # -- fit --------------------------------------------------------------------
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
            cross-validation splitter (see scikit-learn's metadata routing;
            without it, ``groups`` goes to the splitter and everything else
            to the estimator's ``fit``).

        Returns
        -------
        self : object
            The fitted search.
        """
        validate_own_params(self)
        X, y = indexable(X, y)
        with checkpoint_context(self, X, y, params) as checkpoint, \
                scatter_once(X, y), put_once(X, y) as shipped:
            # everything that can warn about the search's setup happens here,
            # so that the warnings point at the caller's line
            prepared = self._prepare(X, y, params, checkpoint)
            # what the fold fits receive: the data, or references to it
            prepared.task_X, prepared.task_y = shipped
            call_with_callbacks(self, self._fit_prepared, prepared)
        for note in prepared.notes:  # said here, so that they name the caller's line
            warn_caller(note, UserWarning)
        return self

    def _prepare(self, X, y, params, checkpoint):
        scorer, metric_names, scorer_attr = self._scorers()
        routed = self._route(params, scorer, scorer_attr)
        cv = _time_ordered_cv(self.estimator, self.cv)
        if cv is None:
            cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        n_splits = cv.get_n_splits(X, y, **routed.split)
        splits = list(cv.split(X, y, **routed.split))
        if len(splits) != n_splits:
            raise ValueError(
                "cv.split and cv.get_n_splits return inconsistent results. "
                f"Expected {n_splits} splits, got {len(splits)}"
            )
        if not splits:
            # GridSearchCV's words for the same condition, then ours
            raise ValueError(
                "No fits were performed. Was the CV iterator empty? Were there "
                "no candidates? The cross-validation splitter gave no split (a "
                "generator of splits can be used only once: pass a list of "
                "them, or a splitter such as KFold)."
            )
        data = FoldPlan(n_samples(X), splits, routed.fit, routed.score, scorer,
                        metric_names, self.error_score, self.return_train_score)
        subspaces = _parse_search_spaces(self.search_spaces, self.estimator)
        check_space_values(subspaces, self.estimator)
        seeds = []

        def draw_seeds(n):
            drawn = _draw_seeds(self.random_state, 1 + n)
            if checkpoint is not None:
                drawn = checkpoint.take_seeds(drawn)
            seeds.extend(drawn)
            return drawn[1:]

        strategy = self._make_strategy(subspaces, n_splits, draw_seeds)
        fidelity = strategy.fidelity
        return _Prepared(X=X, y=y, routed=routed, data=data, subspaces=subspaces,
                         metadata=callback_metadata(params),
                         base_seed=seeds[0], fidelity=fidelity, strategy=strategy,
                         checkpoint=checkpoint, scorer_attr=scorer_attr, notes=[])

    def _fit_prepared(self, prepared):
        X, y = prepared.X, prepared.y
        self.n_splits_ = prepared.data.n_splits
        root = root_callback_context(self, max_subtasks=1 + (self.refit is not False))
        search_ctx = None
        if root is not None:
            root.call_on_fit_task_begin(estimator=self, X=X, y=y,
                                        metadata=prepared.metadata)
            # as GridSearchCV's, but with a number of fold fits unknown in advance
            search_ctx = root.subcontext(
                task_name="search", max_subtasks=None, sequential_subtasks=False,
            ).call_on_fit_task_begin(estimator=self)
        strategy = prepared.strategy
        run = _SearchRun(self, prepared.task_X, prepared.task_y, prepared.data,
                         prepared.subspaces,
                         prepared.base_seed,
                         fidelity=prepared.fidelity, checkpoint=prepared.checkpoint,
                         callback_ctx=search_ctx)
        run.total = strategy.total
        stop = _StoppingRules(self, self.max_time, strategy.n_no_change,
                              _check_callbacks(self.callbacks))
        started = time.perf_counter()
        try:
            # one Parallel for all batches: a backend that starts workers per
            # call (Ray's) starts them once per search
            parallel = Parallel(n_jobs=self.n_jobs, pre_dispatch=self.pre_dispatch)
            with _torch_thread_share(self.n_jobs), parallel:
                run.parallel = parallel
                reason, n_rounds = strategy.run(run, stop)
                run.rescore(self.rescore_top, {strategy.round_column: n_rounds},
                            initial=self._own_key(prepared.subspaces))
        finally:
            run.close()
        searched = time.perf_counter() - started
        if search_ctx is not None:
            search_ctx.call_on_fit_task_end(estimator=self)
        run.check_any_success()
        run.warn_about_failures()
        results = run.results(notes=prepared.notes)
        self.multimetric_ = run.table.multimetric
        names = run.table.metric_names()
        refit_metric = "score"
        if self.multimetric_:
            self._check_refit_for_multimetric(names)
            refit_metric = self.refit
        if self.refit or not self.multimetric_:
            self.best_index_ = self._select_best_index(self.refit, refit_metric, results)
            if not callable(self.refit):
                self.best_score_ = results[f"mean_test_{refit_metric}"][self.best_index_]
            self.best_params_ = results["params"][self.best_index_]
        if self.refit:
            self._refit(prepared, root)
        self.scorer_ = prepared.scorer_attr
        self.cv_results_ = results
        strategy.finish(self, run)
        prepared.notes.extend(strategy.notes(run))
        self.n_fits_ = run.n_fits
        self.kept_estimator_ = run.kept is not None
        own = max(0.0, searched - run.seconds_fitting - run.seconds_checkpoint)
        self.timings_ = {
            "search": searched, "candidates": run.seconds_fitting,
            "checkpoint": run.seconds_checkpoint, "searcher": own,
            "refit": getattr(self, "refit_time_", 0.0) if self.refit else 0.0,
        }
        self.search_overhead_ = own + run.seconds_checkpoint
        if prepared.fidelity is not None:
            self.n_resources_ = list(prepared.fidelity.resources)
            self.n_epochs_spent_ = prepared.fidelity.n_epochs
        self.stop_reason_ = reason
        if root is not None:
            root.call_on_fit_task_end(estimator=self, X=X, y=y,
                                      metadata=prepared.metadata)
        return self

    def _own_key(self, subspaces):
        """Key of the estimator's own configuration that ``prefer_estimator``
        guards (None when it does not apply)."""
        if not self.prefer_estimator or not isinstance(self.initial_candidates, str):
            return None
        keys = initial_keys(subspaces, self.estimator, self.initial_candidates)
        return keys[0] if keys else None

    @staticmethod
    def _select_best_index(refit, refit_metric, results):
        if callable(refit):
            best_index = refit(results)
            if not isinstance(best_index, numbers.Integral):
                raise TypeError("best_index_ returned is not an integer")
            if best_index < 0 or best_index >= len(results["params"]):
                raise IndexError("best_index_ index out of range")
            return best_index
        return int(np.asarray(results[f"rank_test_{refit_metric}"]).argmin())

    def _refit(self, prepared, root):
        X, y = prepared.X, prepared.y
        estimator = clone(self.estimator)
        if prepared.fidelity is not None:
            # the best candidate was trained for max_resource epochs
            estimator.set_params(**prepared.fidelity.refit_params())
        self.best_estimator_ = clone(estimator).set_params(
            **clone(self.best_params_, safe=False)
        )
        fit_params = prepared.routed.fit
        start = time.time()
        if root is not None:
            refit_ctx = root.subcontext(task_name="refit-with-best-params")
            with refit_ctx.propagate_callback_context(self.best_estimator_):
                refit_ctx.call_on_fit_task_begin(estimator=self, X=X, y=y,
                                                 metadata=prepared.metadata)
                self._fit_best(X, y, fit_params)
            refit_ctx.call_on_fit_task_end(estimator=self, X=X, y=y,
                                           metadata=prepared.metadata)
        else:
            self._fit_best(X, y, fit_params)
        self.refit_time_ = time.time() - start
        if hasattr(self.best_estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.best_estimator_.feature_names_in_

    def _fit_best(self, X, y, fit_params):
        if y is None:
            self.best_estimator_.fit(X, **fit_params)
        else:
            self.best_estimator_.fit(X, y, **fit_params)

    # -- the refitted estimator -------------------------------------------------
    def score(self, X, y=None, **params):
        """Score of the refitted best estimator on the given data.

        Uses the scorer of ``scoring`` (the ``refit`` metric of several), or
        the estimator's own ``score`` when ``scoring`` is None.

        Parameters
        ----------
        X : array-like or list of array-like
            Input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            Targets.
        **params : dict
            Parameters of the scorer (only with metadata routing enabled).

        Returns
        -------
        score : float
            The score of ``best_estimator_``.
        """
        _check_refit(self, "score")
        check_is_fitted(self)
        if _routing_enabled():
            score_params = process_routing(self, "score", **params).scorer["score"]
        elif params:
            # the words of scikit-learn's own check for the same condition
            raise ValueError(
                f"Passing extra keyword arguments to {type(self).__name__}.score "
                "is only supported if enable_metadata_routing=True, which you can "
                "set using sklearn.set_config(enable_metadata_routing=True). "
                f"Extra parameters passed are: {sorted(params)}"
            )
        else:
            score_params = {}
        scorer = self.scorer_
        if isinstance(scorer, dict):
            scorer = scorer[self.refit]
            return scorer(self.best_estimator_, X, y, **score_params)
        value = scorer(self.best_estimator_, X, y, **score_params)
        if self.multimetric_:
            value = value[self.refit]
        return value

    @available_if(_estimator_has("score_samples"))
    def score_samples(self, X):
        """``score_samples`` of the refitted best estimator.

        Parameters
        ----------
        X : array-like or list of array-like
            Input data.

        Returns
        -------
        y_score : ndarray of shape (n_samples,)
            Its ``score_samples``.
        """
        check_is_fitted(self)
        return self.best_estimator_.score_samples(X)

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Predictions of the refitted best estimator.

        Parameters
        ----------
        X : array-like or list of array-like
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Its predictions.
        """
        check_is_fitted(self)
        return self.best_estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the refitted best estimator.

        Parameters
        ----------
        X : array-like or list of array-like
            Input data.

        Returns
        -------
        y_proba : ndarray of shape (n_samples, n_classes)
            Its probabilities, columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        return self.best_estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the refitted best estimator.

        Parameters
        ----------
        X : array-like or list of array-like
            Input data.

        Returns
        -------
        y_log_proba : ndarray of shape (n_samples, n_classes)
            Its log-probabilities, columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        return self.best_estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the refitted best estimator.

        Parameters
        ----------
        X : array-like or list of array-like
            Input data.

        Returns
        -------
        y_score : ndarray
            Its decision function.
        """
        check_is_fitted(self)
        return self.best_estimator_.decision_function(X)

    @available_if(_estimator_has("transform"))
    def transform(self, X):
        """``transform`` of the refitted best estimator.

        Parameters
        ----------
        X : array-like or list of array-like
            Input data.

        Returns
        -------
        Xt : array-like
            The transformed data.
        """
        check_is_fitted(self)
        return self.best_estimator_.transform(X)

    @available_if(_estimator_has("inverse_transform"))
    def inverse_transform(self, X):
        """``inverse_transform`` of the refitted best estimator.

        Parameters
        ----------
        X : array-like
            Transformed data.

        Returns
        -------
        X_original : array-like
            The data in the original space.
        """
        check_is_fitted(self)
        return self.best_estimator_.inverse_transform(X)

    @property
    def n_features_in_(self):
        """Number of features seen during ``fit`` (only with ``refit``)."""
        try:
            check_is_fitted(self)
        except NotFittedError as exc:
            raise AttributeError(
                f"{type(self).__name__} object has no n_features_in_ attribute."
            ) from exc
        return self.best_estimator_.n_features_in_

    @property
    def classes_(self):
        """Class labels (only with ``refit`` and a classifier)."""
        _estimator_has("classes_")(self)
        return self.best_estimator_.classes_
