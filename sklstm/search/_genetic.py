"""GeneticSearchCV: scikit-learn glue around the genetic engine of ``_ga``."""

from numbers import Integral, Real

import numpy as np

from .._sklearn_compat import Interval, StrOptions
from ._base import _BaseSearch, _Strategy, fill_doc
from ._fidelity import make_fidelity
from ._ga import ALGORITHMS, Gene, GeneticEngine
from ._space import initial_keys

__all__ = ["GeneticSearchCV"]


def _gene(dimension):
    if dimension.kind == "cat":
        return Gene("cat", n_choices=len(dimension.choices), probs=dimension.probs)
    return Gene(dimension.kind, dimension.low, dimension.high, log=dimension.log)


class GeneticSearchCV(_BaseSearch):
    """Evolutionary search of hyperparameters with cross-validation.

    A population of configurations evolves by tournament selection, crossover
    (numeric genes blend, categorical genes swap) and mutation (a Gaussian
    step for numeric genes, on a log scale where the dimension is
    log-uniform; a resample for categorical genes). Each generation is
    cross-validated in one batch, and ``cv_results_``, ``refit``,
    multi-metric scoring, ``error_score``, ``n_jobs`` and any joblib backend,
    and metadata routing behave as in
    :class:`~sklearn.model_selection.GridSearchCV`.

    Every configuration is cross-validated once per ``fit``: individuals that
    decode to a configuration already seen take its cached score, and
    ``cv_results_`` holds one row per distinct configuration. The cache is
    emptied at the start of every ``fit``.

    Parameters
    ----------
    {{estimator}}
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
    {{fidelity_budgets}}
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
    {{rescore_top}}
    {{prefer_estimator}}
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
    {{cv_options}}
    verbose : int, default=0
        Progress output: ``>= 1`` prints one line per generation (candidates
        done out of the most there can be, cached ones, fits, best score so
        far); ``>= 2`` adds the best parameters.
    {{pre_dispatch}}
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
    {{return_train_score}}
    {{checkpoint}}

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        As in :class:`~sklearn.model_selection.GridSearchCV`, one row per
        distinct configuration, plus a ``generation`` column (the generation
        in which a configuration was first evaluated). Per-candidate seeds
        appear as ``param_..._random_state`` columns.
    {{fitted}}
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
    {{fidelity_fitted}}
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
        **_BaseSearch._parameter_constraints,
        "population_size": [Interval(Integral, 2, None, closed="left")],
        "n_generations": [Interval(Integral, 0, None, closed="left")],
        "crossover_probability": [Interval(Real, 0, 1, closed="both")],
        "mutation_probability": [Interval(Real, 0, 1, closed="both")],
        "tournament_size": [Interval(Integral, 1, None, closed="left")],
        "elitism": ["boolean"],
        "hall_of_fame_size": [Interval(Integral, 1, None, closed="left")],
        "algorithm": [StrOptions(set(ALGORITHMS))],
        "offspring_size": [Interval(Integral, 1, None, closed="left"), None],
        "n_generations_no_change": [Interval(Integral, 1, None, closed="left"), None],
        "max_fits": [Interval(Integral, 1, None, closed="left"), None],
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
        self.population_size = population_size
        self.n_generations = n_generations
        self.crossover_probability = crossover_probability
        self.mutation_probability = mutation_probability
        self.tournament_size = tournament_size
        self.elitism = elitism
        self.hall_of_fame_size = hall_of_fame_size
        self.algorithm = algorithm
        self.offspring_size = offspring_size
        self.n_generations_no_change = n_generations_no_change
        self.max_fits = max_fits

    def _check_combinations(self, n_splits):
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
        if self.max_fits is not None and self.max_fits < n_splits:
            raise ValueError(
                f"max_fits={self.max_fits} is smaller than the number of "
                f"cross-validation splits ({n_splits}): no candidate could "
                "be evaluated."
            )

    def _make_strategy(self, subspaces, n_splits, draw_seeds):
        """The genetic engine, one batch per generation."""
        self._check_combinations(n_splits)
        fidelity = make_fidelity(self, subspaces)
        (engine_seed,) = draw_seeds(1)
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
        return _GeneticStrategy(self, engine, n_splits, fidelity)


class _GeneticStrategy(_Strategy):
    """Evolve the population, one batch per generation."""

    round_column = "generation"

    def __init__(self, search, engine, n_splits, fidelity):
        self.search = search
        self.engine = engine
        self.fidelity = fidelity
        per_generation = (
            search.population_size if search.algorithm == "eaSimple"
            else engine.offspring_size
        )
        self.total = search.population_size + search.n_generations * per_generation
        self.max_candidates = None
        if search.max_fits is not None:
            self.max_candidates = search.max_fits // n_splits
            self.total = min(self.total, self.max_candidates)
        self.n_no_change = search.n_generations_no_change
        self.result = None

    def run(self, run, stop):
        max_candidates = self.max_candidates

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

        self.result = self.engine.run(evaluate, on_generation)
        return self.result.stop_reason, self.result.n_generations

    def finish(self, search, run):
        search.logbook_ = self.result.logbook
        search.hall_of_fame_ = run.hall_of_fame(search.hall_of_fame_size)
        search.n_generations_ = self.result.n_generations


fill_doc(GeneticSearchCV, unit="generation")
