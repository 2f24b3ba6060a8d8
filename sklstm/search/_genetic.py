"""GeneticSearchCV: scikit-learn glue around the genetic engine of ``_ga``."""

import os
from numbers import Integral, Real

import numpy as np
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils._param_validation import Interval, StrOptions

from ._common import _draw_seeds, _SearchMixin, _SearchRun, _torch_thread_share
from ._checkpoint import search_seeds
from ._fidelity import FIDELITY_CONSTRAINTS, make_fidelity
from ._ga import ALGORITHMS, Gene, GeneticEngine
from ._space import _parse_search_spaces, check_space_values, initial_keys

__all__ = ["GeneticSearchCV"]


def _gene(dimension):
    if dimension.kind == "cat":
        return Gene("cat", n_choices=len(dimension.choices), probs=dimension.probs)
    return Gene(dimension.kind, dimension.low, dimension.high, log=dimension.log)


class GeneticSearchCV(_SearchMixin, BaseSearchCV):
    """Evolutionary search of hyperparameters with cross-validation.

    A population of configurations evolves by tournament selection, crossover
    (numeric genes blend, categorical genes swap) and mutation (a Gaussian
    step for numeric genes, on a log scale where the dimension is
    log-uniform; a resample for categorical genes). Each generation is
    cross-validated in one batch through scikit-learn's own search machinery,
    so ``cv_results_``, ``refit``, multi-metric scoring, ``error_score``,
    ``n_jobs`` and any joblib backend, and metadata routing behave as in
    :class:`~sklearn.model_selection.GridSearchCV`.

    Every configuration is cross-validated once per ``fit``: individuals that
    decode to a configuration already seen take its cached score, and
    ``cv_results_`` holds one row per distinct configuration. The cache is
    emptied at the start of every ``fit``.

    Parameters
    ----------
    estimator : estimator object
        The estimator to tune (an LSTM estimator, a Pipeline, or any
        scikit-learn estimator).
    search_spaces : dict, list of dict or None, default=None
        Parameter names mapped to scikit-optimize dimensions (``Integer``,
        ``Real``, ``Categorical``), ``(low, high)`` or ``(low, high, prior)``
        tuples, or lists of choices (any Python objects). With a list of
        dicts, the initial population is spread over the subspaces and
        individuals only mate within their subspace. ``None`` uses
        :func:`default_lstm_space` of ``estimator``.
    population_size : int, default=8
        Number of individuals in the population (``mu``); at least 2.
    n_generations : int, default=1
        Maximum number of generations after the initial population. The
        defaults (8 + 8 candidates) are small because an LSTM candidate is
        expensive (``benchmarks/real_data.py``); raise both for a wider
        search.
    crossover_probability : float, default=0.8
        Probability of mating (per pair for ``"eaSimple"``; per offspring for
        the mu/lambda algorithms, where it adds up with
        ``mutation_probability`` to at most 1).
    mutation_probability : float, default=0.2
        Probability of mutating an individual (``"eaSimple"``) or of making
        an offspring by mutation (mu/lambda algorithms).
    tournament_size : int, default=3
        Number of individuals competing in each selection tournament.
    elitism : bool, default=True
        Keep the best configuration found so far in every generation.
    hall_of_fame_size : int, default=5
        Number of best configurations kept in ``hall_of_fame_``.
    algorithm : {"eaMuPlusLambda", "eaSimple", "eaMuCommaLambda"}, \
            default="eaMuPlusLambda"
        Evolution scheme, named after DEAP's algorithms: ``"eaSimple"``
        replaces the population by its varied offspring;
        ``"eaMuPlusLambda"`` selects the next population among parents and
        offspring; ``"eaMuCommaLambda"`` among offspring only.
    offspring_size : int, default=None
        Offspring per generation (``lambda``) of the mu/lambda algorithms;
        ``None`` means ``population_size``.
    resource : {"max_epochs"} or None, default=None
        Turns on multi-fidelity search (successive halving over training
        epochs) inside each generation, for an LSTM estimator alone or as
        the final step of a Pipeline. The new configurations of a generation
        are trained for ``min_resource`` epochs on every fold; the best ``1
        / reduction_factor`` continue training from where they stopped, and
        so on up to ``max_resource`` epochs. The fitness of a stopped
        offspring is its mean score at the last rung it reached (usually
        lower than a full-budget score, so it rarely survives selection).
        ``None`` trains every candidate for the estimator's own
        ``max_epochs``.
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
        the next rung, which trains them ``reduction_factor`` times longer.
    n_generations_no_change : int, default=None
        Stop after this many generations without improvement of the best
        score.
    max_time : float, default=None
        Stop once this many seconds have passed (checked between
        generations; a running generation is finished).
    max_fits : int, default=None
        Budget of cross-validation fits (candidates times splits). The
        generation in which it runs out is evaluated in part and the search
        stops. Must be at least the number of splits.
    initial_candidates : "estimator", list of dict or None, default="estimator"
        Candidates evaluated first. ``"estimator"``: the estimator's own
        values of the searched parameters, when they all lie in the space,
        so that the search starts from the configuration you have (with the
        default space, the untuned defaults); a list of parameter dicts,
        each inside the space: those; ``None``: none. They take the first places of the initial population.
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
        re-scored candidate. 0 turns it off.
    callbacks : callable or list of callables, default=None
        Called after each generation as ``callback(search, record)``, with the
        generation's ``logbook_`` record (which holds ``n_fits`` and
        ``n_candidates``) plus ``best_score``, ``best_params`` and
        ``cv_results`` (the results so far). A callback returning True stops
        the search.
    scoring : str, callable, list, tuple, dict or None, default=None
        Strategy to evaluate the candidates, as in
        :class:`~sklearn.model_selection.GridSearchCV`. With several metrics,
        the fitness is the ``refit`` metric when ``refit`` names one,
        otherwise the first metric.
    n_jobs : int, default=None
        Number of jobs to run in parallel (fits of one generation).
    refit : bool, str or callable, default=True
        Refit the best candidate on the whole data set.
    cv : int, cross-validation generator or iterable, default=None
        Cross-validation splitting strategy (5-fold by default).
    verbose : int, default=0
        Progress output: ``>= 1`` prints one line per generation (candidates
        done out of the most there can be, cached ones, fits, best score so
        far); ``>= 2`` adds the best parameters.
    pre_dispatch : int or str, default="2*n_jobs"
        Number of jobs dispatched during parallel execution.
    random_state : int, RandomState instance or None, default=None
        Makes the search reproducible: seeds the private random generator of
        the evolution and, for each candidate, the ``random_state``
        parameters of the estimator (and of its nested estimators) that are
        ``None`` and not searched over, with a stable hash of the candidate's
        configuration. ``None`` draws fresh entropy; the global random, numpy
        and torch states are never used.
    error_score : "raise" or float, default=np.nan
        Score recorded for a fit that fails. A candidate with a failed fit
        ranks last in ``cv_results_`` whatever this value; failed and
        non-finite candidates get the lowest possible fitness.
    return_train_score : bool, default=False
        Whether ``cv_results_`` includes training scores.
    checkpoint : str, os.PathLike or None, default=None
        File in which the state of the search is saved, atomically, after
        every generation. Fitting again with the same file resumes: the search
        replays its proposals from the start, takes the results of finished
        candidates from the file instead of refitting them, and ends with the
        same ``cv_results_`` and ``best_params_`` as an uninterrupted run
        (with ``max_time``, a resumed run may stop elsewhere). A file written
        by a different search (estimator, search space, search parameters or
        data) raises a ``ValueError``. The file is kept after the fit. It
        holds plain data (JSON) and a checksum: reading it never runs code,
        and a damaged file is refused. A lock on ``<checkpoint>.lock`` makes
        a second search on the same file fail with a ``RuntimeError``; the
        directory must be writable (checked before the first fit).

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        As in :class:`~sklearn.model_selection.GridSearchCV`, one row per
        distinct configuration, plus a ``generation`` column (the generation
        in which a configuration was first evaluated). Per-candidate seeds
        appear as ``param_..._random_state`` columns.
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
    logbook_ : deap.tools.Logbook
        One record per generation: ``generation``, ``n_evaluated`` (new
        configurations cross-validated), ``n_cached`` (individuals scored from
        the cache), ``min``/``mean``/``max``/``std`` of the finite scores of
        the population, ``best`` (best score so far), ``n_fits`` and
        ``n_candidates`` (cumulative), ``elapsed`` seconds.
        ``pandas.DataFrame(search.logbook_)`` gives a table.
    hall_of_fame_ : list of dict
        The best configurations, best first, as dicts with ``params``,
        ``score`` and ``index`` (row in ``cv_results_``). With ``resource``,
        configurations trained for the full budget come first.
    n_fits_ : int
        Number of cross-validation fits run (the refit excluded).
    n_generations_ : int
        Number of generations run after the initial population.
    n_resources_ : list of int
        Epochs of each rung (only with ``resource``); ``cv_results_`` then
        has ``n_resources`` (epochs the candidate was trained for) and
        ``rung`` (index of the highest rung it reached) columns, and holds
        each candidate's scores at that rung. Candidates that got the full
        budget rank above the stopped ones.
    n_epochs_spent_ : int
        Epochs trained over all folds and candidates (only with
        ``resource``).
    stop_reason_ : str
        ``"n_generations"``, ``"no_improvement"``, ``"max_time"``,
        ``"max_fits"`` or ``"callback"``.

    See Also
    --------
    BayesSearchCV : model-based search sharing the same search spaces.
    default_lstm_space : the space used when ``search_spaces=None``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklstm.search import GeneticSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = GeneticSearchCV(
    ...     DecisionTreeClassifier(),
    ...     {"max_depth": (1, 8), "criterion": ["gini", "entropy"]},
    ...     population_size=6, n_generations=3, cv=3, random_state=0,
    ... )
    >>> bool(search.fit(X, y).best_score_ > 0.9)
    True
    >>> search.logbook_.select("generation")
    [0, 1, 2, 3]
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "search_spaces": [dict, list, tuple, None],
        "population_size": [Interval(Integral, 2, None, closed="left")],
        "n_generations": [Interval(Integral, 0, None, closed="left")],
        "crossover_probability": [Interval(Real, 0, 1, closed="both")],
        "mutation_probability": [Interval(Real, 0, 1, closed="both")],
        "tournament_size": [Interval(Integral, 1, None, closed="left")],
        "elitism": ["boolean"],
        "hall_of_fame_size": [Interval(Integral, 1, None, closed="left")],
        "algorithm": [StrOptions(set(ALGORITHMS))],
        "offspring_size": [Interval(Integral, 1, None, closed="left"), None],
        **FIDELITY_CONSTRAINTS,
        "n_generations_no_change": [Interval(Integral, 1, None, closed="left"), None],
        "max_time": [Interval(Real, 0, None, closed="neither"), None],
        "max_fits": [Interval(Integral, 1, None, closed="left"), None],
        "callbacks": [callable, list, tuple, None],
        "random_state": ["random_state"],
        "checkpoint": [str, os.PathLike, None],
        "rescore_top": [Interval(Integral, 0, None, closed="left")],
        "initial_candidates": [StrOptions({"estimator"}), list, tuple, None],
    }

    def __init__(
        self,
        estimator,
        search_spaces=None,
        *,
        population_size=8,
        n_generations=1,
        crossover_probability=0.8,
        mutation_probability=0.2,
        tournament_size=3,
        elitism=True,
        hall_of_fame_size=5,
        algorithm="eaMuPlusLambda",
        offspring_size=None,
        resource=None,
        min_resource=None,
        max_resource=None,
        reduction_factor=3,
        n_generations_no_change=None,
        max_time=None,
        max_fits=None,
        callbacks=None,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
        checkpoint=None,
        rescore_top=3,
        initial_candidates="estimator",
    ):
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )
        self.search_spaces = search_spaces
        self.population_size = population_size
        self.n_generations = n_generations
        self.crossover_probability = crossover_probability
        self.mutation_probability = mutation_probability
        self.tournament_size = tournament_size
        self.elitism = elitism
        self.hall_of_fame_size = hall_of_fame_size
        self.algorithm = algorithm
        self.offspring_size = offspring_size
        self.resource = resource
        self.min_resource = min_resource
        self.max_resource = max_resource
        self.reduction_factor = reduction_factor
        self.n_generations_no_change = n_generations_no_change
        self.max_time = max_time
        self.max_fits = max_fits
        self.callbacks = callbacks
        self.random_state = random_state
        self.checkpoint = checkpoint
        self.rescore_top = rescore_top
        self.initial_candidates = initial_candidates

    def _check_combinations(self):
        mu_lambda = self.algorithm != "eaSimple"
        if mu_lambda and self.crossover_probability + self.mutation_probability > 1:
            raise ValueError(
                f"With algorithm={self.algorithm!r}, crossover_probability + "
                "mutation_probability must be at most 1, got "
                f"{self.crossover_probability} + {self.mutation_probability}."
            )
        offspring = self.offspring_size or self.population_size
        if self.algorithm == "eaMuCommaLambda" and offspring < self.population_size:
            raise ValueError(
                "With algorithm='eaMuCommaLambda', offspring_size must be at "
                f"least population_size ({self.population_size}), got {offspring}."
            )
        if self.max_fits is not None and self.max_fits < self.n_splits_:
            raise ValueError(
                f"max_fits={self.max_fits} is smaller than the number of "
                f"cross-validation splits ({self.n_splits_}): no candidate could "
                "be evaluated."
            )

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        """Evolve the population, one evaluate_candidates call per generation."""
        subspaces = _parse_search_spaces(self.search_spaces, self.estimator)
        check_space_values(subspaces, self.estimator)
        self._check_combinations()
        fidelity = make_fidelity(self, subspaces)
        base_seed, engine_seed = search_seeds(self, _draw_seeds(self.random_state, 2))
        engine = GeneticEngine(
            [[_gene(d) for d in sub.dimensions] for sub in subspaces],
            population_size=self.population_size,
            n_generations=self.n_generations,
            crossover_probability=self.crossover_probability,
            mutation_probability=self.mutation_probability,
            tournament_size=self.tournament_size,
            elitism=self.elitism,
            algorithm=self.algorithm,
            offspring_size=self.offspring_size,
            seed=engine_seed,
            initial=initial_keys(subspaces, self.estimator, self.initial_candidates),
        )
        per_generation = (
            self.population_size if self.algorithm == "eaSimple" else engine.offspring_size
        )
        total = self.population_size + self.n_generations * per_generation
        max_candidates = None
        if self.max_fits is not None:
            max_candidates = self.max_fits // self.n_splits_
            total = min(total, max_candidates)
        run = _SearchRun(self, evaluate_candidates, subspaces, base_seed, total=total,
                         callback_ctx=callback_ctx)
        run.fidelity = fidelity
        stop = self._stopping_rules(self.n_generations_no_change)

        def evaluate(keys, generation):
            max_new = None if max_candidates is None else max_candidates - run.n_rows
            return run.evaluate(keys, {"generation": generation}, max_new=max_new)

        def on_generation(record):
            record["n_fits"] = run.n_fits
            record["n_candidates"] = run.n_rows
            reason = stop(run, record)
            if reason is None and max_candidates is not None and run.n_rows >= max_candidates:
                reason = "max_fits"
            return reason

        self._search_run = run
        try:
            with _torch_thread_share(self.n_jobs):
                result = engine.run(evaluate, on_generation)
                run.rescore(self.rescore_top, {"generation": result.n_generations})
                run.finish()
        finally:
            del self._search_run
        self.logbook_ = result.logbook
        self.hall_of_fame_ = run.hall_of_fame(self.hall_of_fame_size)
        self.n_fits_ = run.n_fits
        self.n_generations_ = result.n_generations
        if fidelity is not None:
            self.n_resources_ = list(fidelity.resources)
            self.n_epochs_spent_ = fidelity.n_epochs
        self.stop_reason_ = result.stop_reason
