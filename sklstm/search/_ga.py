"""Genetic-algorithm engine behind GeneticSearchCV.

This module knows nothing about scikit-learn: it evolves genomes made of
typed genes and asks a caller-supplied ``evaluate`` function for the
fitness of whole generations at once. Only DEAP, numpy and the standard
library are used.

Design notes
------------
* DEAP's ``creator`` writes classes into a module global and its operators
  draw from the global :mod:`random`. Neither fits a library that may run two
  searches in two threads, nest a search in another one, or promise not to
  touch the user's random state. The fitness and individual classes are
  therefore plain module-level subclasses (picklable, never mutated), and all
  variation and selection operators are implemented here on top of a private
  :class:`random.Random` instance.
* Genes live in an *internal* continuous coordinate: the logarithm of the
  value for log-scaled genes, and an interval widened by half a unit for
  integers so that every integer has the same share of it. A gene is decoded
  to its *canonical value* (``int`` for integers and category indices,
  ``float`` for reals), always within bounds.
* A genome is identified by its canonical key ``(subspace, values)``. Two
  genomes with the same key are the same configuration; the caller's cache
  makes sure a configuration is cross-validated only once.
"""

import math
import random
import time

import numpy as np
from deap import base, tools

__all__ = ["Gene", "GeneticEngine", "ALGORITHMS"]

ALGORITHMS = ("eaSimple", "eaMuPlusLambda", "eaMuCommaLambda")

# Width of the blend interval around the parents (BLX-alpha).
_BLEND_ALPHA = 0.5
# Standard deviation of the Gaussian mutation, as a fraction of the gene range.
_MUTATION_SCALE = 0.2
# Probability that a gene takes part in a crossover.
_GENE_CROSSOVER_PROBABILITY = 0.5


class Gene:
    """One typed gene.

    Parameters
    ----------
    kind : {"int", "real", "cat"}
        Integer, real or categorical gene.
    low, high : float, default=None
        Inclusive bounds of a numeric gene.
    log : bool, default=False
        Whether a numeric gene varies on a log scale (requires ``low > 0``).
    n_choices : int, default=None
        Number of choices of a categorical gene.
    probs : sequence of float, default=None
        Prior probabilities of the choices (uniform if None).
    """

    __slots__ = ("kind", "low", "high", "log", "n_choices", "probs", "lower", "upper")

    def __init__(self, kind, low=None, high=None, log=False, n_choices=None, probs=None):
        if kind not in ("int", "real", "cat"):
            raise ValueError(f"Unknown gene kind {kind!r}.")
        self.kind = kind
        self.low = low
        self.high = high
        self.log = bool(log)
        self.n_choices = n_choices
        self.probs = None if probs is None else tuple(probs)
        if kind == "cat":
            if not n_choices or n_choices < 1:
                raise ValueError("A categorical gene needs n_choices >= 1.")
            self.lower, self.upper = 0, n_choices - 1
            return
        if not low < high:
            raise ValueError(f"Gene bounds must satisfy low < high, got ({low}, {high}).")
        if self.log and low <= 0:
            raise ValueError("A log-scaled gene needs low > 0.")
        lower, upper = float(low), float(high)
        if kind == "int":
            # Each integer owns a unit-wide cell (in value space).
            lower, upper = lower - 0.5, upper + 0.5
            if self.log:
                lower = max(lower, low / 2.0)
        if self.log:
            lower, upper = math.log(lower), math.log(upper)
        self.lower, self.upper = lower, upper

    def __getstate__(self):
        return {slot: getattr(self, slot) for slot in self.__slots__}

    def __setstate__(self, state):
        for slot, value in state.items():
            setattr(self, slot, value)

    def __repr__(self):
        if self.kind == "cat":
            return f"Gene('cat', n_choices={self.n_choices})"
        return f"Gene({self.kind!r}, {self.low}, {self.high}, log={self.log})"

    # -- sampling and decoding -------------------------------------------
    def from_unit(self, u):
        """Internal value at quantile ``u`` in [0, 1) of the gene's prior."""
        if self.kind == "cat":
            if self.probs is None:
                return min(int(u * self.n_choices), self.n_choices - 1)
            total = sum(self.probs)
            cumulative = 0.0
            for index, p in enumerate(self.probs):
                cumulative += p / total
                if u < cumulative:
                    return index
            return max(i for i, p in enumerate(self.probs) if p > 0)
        return self.clip(self.lower + u * (self.upper - self.lower))

    def encode(self, value):
        """Internal value of a canonical value (the inverse of :meth:`decode`)."""
        if self.kind == "cat":
            return int(value)
        return self.clip(math.log(value) if self.log else float(value))

    def sample(self, rng):
        """A random internal value drawn from the gene's prior."""
        return self.from_unit(rng.random())

    def clip(self, x):
        """Bring an internal value back within the gene's bounds."""
        return min(max(x, self.lower), self.upper)

    def decode(self, x):
        """Canonical value (int or float) of an internal value, within bounds."""
        if self.kind == "cat":
            return int(x)
        value = math.exp(x) if self.log else x
        if self.kind == "int":
            value = int(math.floor(value + 0.5))
            return int(min(max(value, self.low), self.high))
        return float(min(max(value, self.low), self.high))

    # -- variation ---------------------------------------------------------
    def blend(self, a, b, rng):
        """Two children of internal values ``a`` and ``b`` (BLX-alpha)."""
        if self.kind == "cat":
            return b, a  # swap
        lo, hi = min(a, b), max(a, b)
        spread = _BLEND_ALPHA * (hi - lo)
        lo, hi = lo - spread, hi + spread
        return self.clip(rng.uniform(lo, hi)), self.clip(rng.uniform(lo, hi))

    def mutate(self, x, rng):
        """A mutated internal value.

        Numeric genes get a Gaussian step, reflected at the bounds;
        categorical genes are resampled among the other choices.
        """
        if self.kind == "cat":
            if self.n_choices == 1:
                return x
            others = [i for i in range(self.n_choices) if i != x]
            if self.probs is None:
                return rng.choice(others)
            weights = [self.probs[i] for i in others]
            if sum(weights) <= 0:
                return rng.choice(others)
            return rng.choices(others, weights=weights)[0]
        width = self.upper - self.lower
        y = x + rng.gauss(0.0, _MUTATION_SCALE * width)
        # reflect once at each bound, then clip whatever is still outside
        if y < self.lower:
            y = 2 * self.lower - y
        elif y > self.upper:
            y = 2 * self.upper - y
        return self.clip(y)


class _Fitness(base.Fitness):
    """Single-objective, maximised fitness (a score)."""

    weights = (1.0,)


class _Individual(list):
    """A genome: internal gene values of one subspace, plus its fitness."""

    __slots__ = ("subspace", "fitness")

    def __init__(self, values=(), subspace=0):
        super().__init__(values)
        self.subspace = subspace
        self.fitness = _Fitness()

    def copy(self):
        twin = _Individual(self, self.subspace)
        if self.fitness.valid:
            twin.fitness.values = self.fitness.values
        return twin

    def __reduce__(self):
        values = self.fitness.values if self.fitness.valid else None
        return (_rebuild_individual, (list(self), self.subspace, values))


def _rebuild_individual(values, subspace, fitness_values):
    ind = _Individual(values, subspace)
    if fitness_values is not None:
        ind.fitness.values = fitness_values
    return ind


def _score(ind):
    return ind.fitness.values[0] if ind.fitness.valid else -math.inf


class GAResult:
    """What :meth:`GeneticEngine.run` returns.

    Attributes
    ----------
    logbook : deap.tools.Logbook
        One record per generation.
    population : list of tuple
        Canonical keys of the final population.
    best_key : tuple or None
        Canonical key of the best configuration found.
    best_score : float
        Its score (``-inf`` if nothing succeeded).
    stop_reason : str
        Why the evolution ended.
    n_generations : int
        Number of generations run after the initial one.
    """

    def __init__(self, logbook, population, best_key, best_score, stop_reason,
                 n_generations):
        self.logbook = logbook
        self.population = population
        self.best_key = best_key
        self.best_score = best_score
        self.stop_reason = stop_reason
        self.n_generations = n_generations


class GeneticEngine:
    """Evolve configurations of one or more subspaces of typed genes.

    Parameters
    ----------
    subspaces : list of list of Gene
        Genes of each subspace. An individual belongs to one subspace for its
        whole life; the initial population is spread over the subspaces in
        turn, and crossover only mixes individuals of the same subspace.
    population_size : int
        Number of individuals (``mu``).
    n_generations : int
        Maximum number of generations after the initial population.
    crossover_probability, mutation_probability : float
        Probabilities of crossover and mutation (per pair and per individual
        for ``"eaSimple"``, per offspring for the mu/lambda algorithms).
    tournament_size : int
        Number of aspirants in each selection tournament.
    elitism : bool
        Keep the best configuration found so far in every population.
    algorithm : {"eaSimple", "eaMuPlusLambda", "eaMuCommaLambda"}
        Evolution scheme, named after DEAP's algorithms.
    offspring_size : int or None
        Number of offspring per generation (``lambda``) of the mu/lambda
        algorithms; ``None`` means ``population_size``.
    seed : int or None
        Seed of the private random number generator.
    initial : list of (int, tuple), default=()
        Configurations ``(subspace, canonical values)`` that take the first
        places of the initial population of their subspace (the rest is
        sampled as usual).
    """

    def __init__(self, subspaces, *, population_size=10, n_generations=10,
                 crossover_probability=0.8, mutation_probability=0.2,
                 tournament_size=3, elitism=True, algorithm="eaMuPlusLambda",
                 offspring_size=None, seed=None, initial=()):
        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}.")
        if not subspaces:
            raise ValueError("At least one subspace of genes is needed.")
        self.subspaces = [list(genes) for genes in subspaces]
        self.population_size = population_size
        self.n_generations = n_generations
        self.crossover_probability = crossover_probability
        self.mutation_probability = mutation_probability
        self.tournament_size = tournament_size
        self.elitism = elitism
        self.algorithm = algorithm
        self.offspring_size = population_size if offspring_size is None else offspring_size
        self.rng = random.Random(seed)
        self.initial = list(initial)
        # genomes of the given configurations -> their exact canonical values
        # (a log gene's exp(log(v)) may be a rounding error away from v)
        self._given = {}
        self.toolbox = base.Toolbox()
        self.toolbox.register("individual", self._new_individual)
        self.toolbox.register("mate", self._mate)
        self.toolbox.register("mutate", self._mutate)
        self.toolbox.register("select", self._select_tournament)
        self.toolbox.register("clone", _Individual.copy)

    # -- genome helpers ----------------------------------------------------
    def _new_individual(self, subspace):
        genes = self.subspaces[subspace]
        return _Individual([g.sample(self.rng) for g in genes], subspace)

    def _initial_population(self):
        """Spread individuals over subspaces, and over each gene's range.

        Within a subspace every gene is sampled by Latin hypercube: the
        ``m`` individuals get one random point in each of ``m`` equal-
        probability strata, in random order. Every category with enough prior
        mass therefore shows up from the first generation on.
        """
        n_sub = len(self.subspaces)
        members = [list(range(i, self.population_size, n_sub)) for i in range(n_sub)]
        population = [None] * self.population_size
        for subspace, slots in enumerate(members):
            m = len(slots)
            columns = []
            for gene in self.subspaces[subspace]:
                strata = [(k + self.rng.random()) / m for k in range(m)]
                self.rng.shuffle(strata)
                columns.append([gene.from_unit(u) for u in strata])
            for row, slot in enumerate(slots):
                population[slot] = _Individual([col[row] for col in columns], subspace)
            given = [values for index, values in self.initial if index == subspace]
            genes = self.subspaces[subspace]
            for slot, values in zip(slots, given):
                internal = [g.encode(v) for g, v in zip(genes, values)]
                self._given[(subspace, tuple(internal))] = tuple(values)
                population[slot] = _Individual(internal, subspace)
        return population

    def key(self, ind):
        """Canonical key ``(subspace, values)`` of an individual."""
        given = self._given.get((ind.subspace, tuple(ind)))
        if given is not None:  # a given configuration, unchanged
            return ind.subspace, given
        genes = self.subspaces[ind.subspace]
        return ind.subspace, tuple(g.decode(x) for g, x in zip(genes, ind))

    def _mate(self, a, b):
        """Blend numeric genes and swap categorical ones, in place."""
        if a.subspace != b.subspace:
            return a, b
        changed = False
        for i, gene in enumerate(self.subspaces[a.subspace]):
            if self.rng.random() < _GENE_CROSSOVER_PROBABILITY:
                a[i], b[i] = gene.blend(a[i], b[i], self.rng)
                changed = True
        if changed:
            del a.fitness.values
            del b.fitness.values
        return a, b

    def _mutate(self, ind):
        """Mutate each gene with probability 1/n (at least one gene), in place."""
        genes = self.subspaces[ind.subspace]
        if not genes:
            return (ind,)
        chosen = [i for i in range(len(genes)) if self.rng.random() < 1.0 / len(genes)]
        if not chosen:
            chosen = [self.rng.randrange(len(genes))]
        for i in chosen:
            ind[i] = genes[i].mutate(ind[i], self.rng)
        del ind.fitness.values
        return (ind,)

    def _select_tournament(self, individuals, k):
        """``k`` tournament winners (aspirants drawn with replacement)."""
        chosen = []
        for _ in range(k):
            aspirants = [self.rng.choice(individuals) for _ in range(self.tournament_size)]
            chosen.append(max(aspirants, key=_score))
        return chosen

    # -- variation schemes ---------------------------------------------------
    def _vary_and(self, population):
        """eaSimple: crossover on consecutive pairs, then mutation."""
        offspring = [self.toolbox.clone(ind) for ind in
                     self.toolbox.select(population, len(population))]
        for i in range(1, len(offspring), 2):
            if self.rng.random() < self.crossover_probability:
                self.toolbox.mate(offspring[i - 1], offspring[i])
        for ind in offspring:
            if self.rng.random() < self.mutation_probability:
                self.toolbox.mutate(ind)
        return offspring

    def _select_parents(self, population, k):
        """``k`` tournament winners, of distinct configurations when possible.

        A population may hold one configuration several times (selection
        draws with replacement); a winner's configuration leaves the pool
        unless nothing else would be left.
        """
        pool = list(population)
        parents = []
        for _ in range(k):
            winner = self.toolbox.select(pool, 1)[0]
            parents.append(winner)
            key = self.key(winner)
            rest = [ind for ind in pool if self.key(ind) != key]
            if rest:
                pool = rest
        return parents

    def _vary_or(self, population):
        """mu/lambda: each offspring from crossover, mutation or reproduction.

        Unlike DEAP's ``varOr``, which draws parents uniformly and leaves all
        selection pressure to the survivor step, parents are tournament
        winners. With the small budgets of a hyper-parameter search (two or
        three generations) uniform parents made the first offspring little
        better than random draws; tournament parents make them explore
        around the configurations that already scored well.
        """
        offspring = []
        for _ in range(self.offspring_size):
            draw = self.rng.random()
            if draw < self.crossover_probability:
                a, b = (self.toolbox.clone(ind)
                        for ind in self._select_parents(population, 2))
                self.toolbox.mate(a, b)
                offspring.append(a)
            elif draw < self.crossover_probability + self.mutation_probability:
                child = self.toolbox.clone(self._select_parents(population, 1)[0])
                self.toolbox.mutate(child)
                offspring.append(child)
            else:
                offspring.append(self.toolbox.clone(self._select_parents(population, 1)[0]))
        return offspring

    # -- main loop -----------------------------------------------------------
    def _evaluate(self, individuals, evaluate, generation):
        """Give a fitness to the individuals that have none.

        Returns ``(n_new, n_cached, exhausted)``.
        """
        todo = [ind for ind in individuals if not ind.fitness.valid]
        if not todo:
            return 0, 0, False
        keys = [self.key(ind) for ind in todo]
        scores, n_new = evaluate(keys, generation)
        exhausted = False
        n_scored = 0
        for ind, score in zip(todo, scores):
            if score is None:  # the caller's budget ran out
                exhausted = True
                continue
            n_scored += 1
            score = float(score)
            ind.fitness.values = (score if math.isfinite(score) else -math.inf,)
        return n_new, n_scored - n_new, exhausted

    def run(self, evaluate, on_generation=None):
        """Evolve.

        Parameters
        ----------
        evaluate : callable
            ``evaluate(keys, generation) -> (scores, n_new)``: scores of the
            canonical keys (greater is better; NaN for a failed
            configuration; ``None`` for a key left unevaluated because a
            budget ran out) and the number of configurations evaluated for
            the first time.
        on_generation : callable, default=None
            ``on_generation(record) -> str or None``, called after each
            generation with the record about to be logged (it may add
            entries); a returned string stops the evolution and is the stop
            reason.

        Returns
        -------
        result : GAResult
        """
        start = time.monotonic()
        logbook = tools.Logbook()
        logbook.header = ["generation", "n_evaluated", "n_cached", "min", "mean",
                          "max", "std", "best"]
        population = self._initial_population()
        best = None
        stop_reason = None
        generation = 0
        while True:
            if generation == 0:
                offspring = population
            elif self.algorithm == "eaSimple":
                offspring = self._vary_and(population)
            else:
                offspring = self._vary_or(population)
            n_new, n_cached, exhausted = self._evaluate(offspring, evaluate, generation)

            if generation == 0 or self.algorithm == "eaSimple":
                population = offspring
            elif self.algorithm == "eaMuPlusLambda":
                population = self.toolbox.select(population + offspring,
                                                 self.population_size)
            else:
                population = self.toolbox.select(offspring, self.population_size)

            for ind in offspring:
                if ind.fitness.valid and (best is None or _score(ind) > _score(best)):
                    best = self.toolbox.clone(ind)
            if self.elitism and best is not None:
                best_key = self.key(best)
                if all(self.key(ind) != best_key for ind in population):
                    worst = min(range(len(population)), key=lambda i: _score(population[i]))
                    population[worst] = self.toolbox.clone(best)

            scores = np.array([_score(ind) for ind in population if ind.fitness.valid])
            finite = scores[np.isfinite(scores)]
            stats = dict(min=np.nan, mean=np.nan, max=np.nan, std=np.nan)
            if finite.size:
                stats = dict(min=float(finite.min()), mean=float(finite.mean()),
                             max=float(finite.max()), std=float(finite.std()))
            record = dict(generation=generation, n_evaluated=n_new, n_cached=n_cached,
                          **stats,
                          best=_score(best) if best is not None else np.nan,
                          elapsed=time.monotonic() - start)
            if exhausted:
                stop_reason = "max_fits"
            elif generation >= self.n_generations:
                stop_reason = "n_generations"
            if on_generation is not None:
                reason = on_generation(record)
                if stop_reason is None and reason:
                    stop_reason = reason
            logbook.record(**record)
            if stop_reason is not None:
                break
            generation += 1

        return GAResult(
            logbook=logbook,
            population=[self.key(ind) for ind in population],
            best_key=None if best is None else self.key(best),
            best_score=_score(best) if best is not None else -math.inf,
            stop_reason=stop_reason,
            n_generations=generation,
        )
