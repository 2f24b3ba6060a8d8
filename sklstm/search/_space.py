"""One search-space vocabulary for both searchers, and the default LSTM space.

A search space is a dict mapping parameter names to one of

* a scikit-optimize dimension: :class:`skopt.space.Integer`,
  :class:`skopt.space.Real` (``prior="uniform"`` or ``"log-uniform"``) or
  :class:`skopt.space.Categorical`;
* a ``(low, high)`` tuple -- two integers give an integer dimension, anything
  else a real one -- optionally with a third item ``"uniform"`` or
  ``"log-uniform"``;
* a list of choices (a categorical dimension). Choices may be any Python
  object, hashable or not (strings, ``None``, classes, estimators, ...).

A list of such dicts describes several subspaces searched side by side.

Internally every dimension is parsed into a :class:`_Dimension`. Categorical
choices are always represented by their *index*, so the surrogate models of
scikit-optimize, the genetic engine and the evaluation cache only ever see
integers and floats; the objects themselves are put back when a candidate's
parameters are built.
"""

import math
import numbers
from collections.abc import Mapping

import numpy as np
from skopt.space import Categorical, Dimension, Integer, Real

from .._sklearn_compat import (
    InvalidParameterError,
    parameter_constraints,
    validate_parameter_constraints,
)
from .._warnings import warn_caller

__all__ = ["default_lstm_space"]

_PRIORS = ("uniform", "log-uniform")


class _Dimension:
    """A parsed search dimension.

    Parameters
    ----------
    name : str
        Parameter name, as accepted by the estimator's ``set_params``.
    kind : {"int", "real", "cat"}
        Type of the dimension.
    low, high : int or float, default=None
        Inclusive bounds of a numeric dimension.
    log : bool, default=False
        Whether a numeric dimension is sampled on a log scale.
    base : float, default=10
        Logarithm base, only passed on to scikit-optimize.
    choices : tuple, default=()
        Choices of a categorical dimension (any objects).
    probs : tuple of float or None, default=None
        Prior probabilities of the choices; ``None`` means uniform.
    """

    __slots__ = ("name", "kind", "low", "high", "log", "base", "choices", "probs")

    def __init__(
        self, name, kind, low=None, high=None, log=False, base=10, choices=(), probs=None
    ):
        self.name = name
        self.kind = kind
        self.low = low
        self.high = high
        self.log = log
        self.base = base
        self.choices = tuple(choices)
        self.probs = None if probs is None else tuple(float(p) for p in probs)

    def __repr__(self):
        if self.kind == "cat":
            return f"_Dimension({self.name!r}, cat, n_choices={len(self.choices)})"
        prior = "log-uniform" if self.log else "uniform"
        return f"_Dimension({self.name!r}, {self.kind}, {self.low}, {self.high}, {prior})"

    def __getstate__(self):
        return {slot: getattr(self, slot) for slot in self.__slots__}

    def __setstate__(self, state):
        for slot, value in state.items():
            setattr(self, slot, value)

    def to_skopt(self):
        """A fresh scikit-optimize dimension; categories become their indices."""
        prior = "log-uniform" if self.log else "uniform"
        if self.kind == "int":
            return Integer(self.low, self.high, prior=prior, base=self.base, name=self.name)
        if self.kind == "real":
            return Real(self.low, self.high, prior=prior, base=self.base, name=self.name)
        probs = None if self.probs is None else list(self.probs)
        return Categorical(list(range(len(self.choices))), prior=probs, name=self.name)

    def canonical(self, value):
        """Plain Python value used in cache keys (index for categoricals)."""
        if self.kind == "real":
            return float(value)
        return int(value)

    def decode(self, canonical_value):
        """Parameter value for a canonical value."""
        if self.kind == "cat":
            return self.choices[canonical_value]
        return canonical_value

    def canonical_of_param(self, value):
        """Canonical value of a parameter value, or None if the dimension lacks it."""
        if self.kind == "cat":
            for index, choice in enumerate(self.choices):
                try:
                    if choice is value or bool(choice == value):
                        return index
                except Exception:  # pragma: no cover - exotic comparisons
                    continue
            return None
        if not _is_number(value) or not (self.low <= value <= self.high):
            return None
        if self.kind == "int":
            return int(value) if float(value).is_integer() else None
        return float(value)

    def describe(self, canonical_value):
        """Stable text for a canonical value (used to derive per-candidate seeds).

        Categorical values are described by their index, never by ``repr`` of
        the object, which may contain a memory address.
        """
        if self.kind == "cat":
            return f"#{canonical_value}"
        return repr(canonical_value)


class _Subspace:
    """A parsed search space (one dict), its dimensions sorted by name."""

    __slots__ = ("dimensions", "names")

    def __init__(self, dimensions):
        self.dimensions = tuple(sorted(dimensions, key=lambda d: d.name))
        self.names = tuple(d.name for d in self.dimensions)

    def __getstate__(self):
        return {"dimensions": self.dimensions, "names": self.names}

    def __setstate__(self, state):
        self.dimensions = state["dimensions"]
        self.names = state["names"]

    def __len__(self):
        return len(self.dimensions)

    def to_skopt(self):
        """List of fresh scikit-optimize dimensions, in name order."""
        return [d.to_skopt() for d in self.dimensions]

    def canonical(self, values):
        """Tuple of canonical values from values in name order."""
        return tuple(d.canonical(v) for d, v in zip(self.dimensions, values))

    def params(self, canonical_values):
        """Parameter dict for a tuple of canonical values."""
        return {
            d.name: d.decode(v) for d, v in zip(self.dimensions, canonical_values)
        }

    def describe(self, canonical_values):
        """Stable text for a configuration of this subspace."""
        return ",".join(
            f"{d.name}={d.describe(v)}"
            for d, v in zip(self.dimensions, canonical_values)
        )


def initial_keys(subspaces, estimator, initial_candidates):
    """Canonical keys of the candidates a search evaluates first.

    ``"estimator"``: the estimator's own values of the searched parameters,
    in the first subspace that holds them all (none if no subspace does);
    a list of parameter dicts: each one, in the first subspace that holds
    it (a ``ValueError`` names a dict that fits none); ``None``: none.
    """
    if initial_candidates is None:
        return []
    if isinstance(initial_candidates, str):
        params = estimator.get_params(deep=True) if hasattr(estimator, "get_params") else {}
        candidates, strict = [params], False
    else:
        candidates, strict = list(initial_candidates), True
    keys = []
    for candidate in candidates:
        if strict and not isinstance(candidate, Mapping):
            raise ValueError(
                "initial_candidates must be 'estimator', None or a list of dicts "
                f"of parameter values; got an item {candidate!r}."
            )
        key = None
        for index, sub in enumerate(subspaces):
            if strict and set(candidate) - set(sub.names):
                continue
            values = [
                d.canonical_of_param(candidate[d.name]) if d.name in candidate else None
                for d in sub.dimensions
            ]
            if all(v is not None for v in values):
                key = (index, tuple(values))
                break
        if key is None and strict:
            raise ValueError(
                f"The initial candidate {dict(candidate)!r} does not lie in the "
                "search space: it must give a value, inside its range or among "
                "its choices, for every parameter of one search space (and name "
                "no other parameter)."
            )
        if key is not None and key not in keys:
            keys.append(key)
    return keys


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _prior_of(name, prior):
    if prior is None:
        return False
    if prior not in _PRIORS:
        raise ValueError(
            f"Invalid prior {prior!r} for search dimension {name!r}; "
            f"expected one of {_PRIORS}."
        )
    return prior == "log-uniform"


def _check_bounds(name, low, high, log):
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(
            f"The bounds of search dimension {name!r} must be finite, got "
            f"({low}, {high})."
        )
    if not low < high:
        raise ValueError(
            f"The lower bound of search dimension {name!r} must be smaller than "
            f"its upper bound, got ({low}, {high}). Use a list with one "
            "element to fix a parameter."
        )
    if log and low <= 0:
        raise ValueError(
            f"A log-uniform search dimension needs positive bounds; {name!r} "
            f"has ({low}, {high})."
        )


def _numeric(name, kind, low, high, log, base=10):
    if kind == "int":
        low, high = int(low), int(high)
    else:
        low, high = float(low), float(high)
    _check_bounds(name, low, high, log)
    return _Dimension(name, kind, low=low, high=high, log=log, base=base)


def _parse_dimension(name, spec):
    """Parse one search-space entry into a :class:`_Dimension`."""
    if isinstance(spec, Integer):
        return _numeric(name, "int", spec.low, spec.high,
                        _prior_of(name, spec.prior), spec.base)
    if isinstance(spec, Real):
        return _numeric(name, "real", spec.low, spec.high,
                        _prior_of(name, spec.prior), spec.base)
    if isinstance(spec, Categorical):
        return _categorical(name, list(spec.categories), spec.prior)
    if isinstance(spec, Dimension):
        raise ValueError(
            f"Unsupported scikit-optimize dimension {type(spec).__name__} for "
            f"{name!r}; use Integer, Real or Categorical."
        )
    if isinstance(spec, tuple):
        if len(spec) not in (2, 3):
            raise ValueError(
                f"A tuple search dimension must be (low, high) or "
                f"(low, high, prior); {name!r} has {len(spec)} items. Use a "
                "list for a set of choices."
            )
        low, high = spec[0], spec[1]
        if not (_is_number(low) and _is_number(high)):
            raise ValueError(
                f"The bounds of tuple search dimension {name!r} must be numbers, "
                f"got {spec!r}. Use a list for a set of choices."
            )
        log = _prior_of(name, spec[2]) if len(spec) == 3 else False
        both_int = isinstance(low, numbers.Integral) and isinstance(high, numbers.Integral)
        return _numeric(name, "int" if both_int else "real", low, high, log)
    if isinstance(spec, np.ndarray) and spec.ndim == 1:
        spec = spec.tolist()
    if isinstance(spec, range):  # choices, as in a GridSearchCV grid
        spec = list(spec)
    if isinstance(spec, list):
        return _categorical(name, spec, None)
    raise ValueError(
        f"Invalid search dimension for {name!r}: expected a scikit-optimize "
        "Integer/Real/Categorical, a (low, high) tuple or a list of choices; "
        f"got {type(spec).__name__} {spec!r}."
    )


def _categorical(name, choices, prior):
    if len(choices) == 0:
        raise ValueError(f"The list of choices for {name!r} is empty.")
    if prior is not None:
        prior = [float(p) for p in prior]
        if len(prior) != len(choices) or min(prior) < 0 or not math.isclose(
            sum(prior), 1.0, rel_tol=1e-6
        ):
            raise ValueError(
                f"The prior of categorical dimension {name!r} must hold one "
                "non-negative probability per choice, summing to 1."
            )
    return _Dimension(name, "cat", choices=choices, probs=prior)


def _parse_subspace(space, valid_names=None, estimator_name=None):
    if not isinstance(space, Mapping):
        raise ValueError(
            "A search space must be a dict mapping parameter names to "
            f"dimensions, got {type(space).__name__}."
        )
    if len(space) == 0:
        raise ValueError(
            "A search space must hold at least one parameter; got an empty "
            "dict. An empty space has one candidate, the estimator as given: "
            "score it with sklearn.model_selection.cross_validate (or "
            "GridSearchCV(estimator, {})), or name the parameters to search."
        )
    dims = []
    for name, spec in space.items():
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"Search space keys must be parameter names (non-empty str), "
                f"got {name!r}."
            )
        if valid_names is not None and name.split("__", 1)[0] not in valid_names:
            raise ValueError(
                f"Invalid parameter {name!r} in the search space of "
                f"{estimator_name}. Valid parameters are: {sorted(valid_names)!r}."
            )
        dims.append(_parse_dimension(name, spec))
    return _Subspace(dims)


def _parse_search_spaces(search_spaces, estimator=None):
    """Parse ``search_spaces`` (dict or list of dicts) into subspaces.

    With ``search_spaces=None`` the default LSTM space of ``estimator`` is
    used. When an estimator is given, the first component of each parameter
    name is checked against its parameters.
    """
    if search_spaces is None:
        search_spaces = default_lstm_space(estimator)
    if isinstance(search_spaces, Mapping):
        spaces = [search_spaces]
    elif isinstance(search_spaces, (list, tuple)):
        spaces = list(search_spaces)
        if not spaces:
            raise ValueError("search_spaces is an empty list.")
    else:
        raise ValueError(
            "search_spaces must be a dict, a list of dicts or None, got "
            f"{type(search_spaces).__name__}."
        )
    valid_names = None
    estimator_name = None
    if estimator is not None and hasattr(estimator, "get_params"):
        valid_names = {
            name.split("__", 1)[0] for name in estimator.get_params(deep=True)
        }
        estimator_name = type(estimator).__name__
    return [_parse_subspace(s, valid_names, estimator_name) for s in spaces]


def _owner_constraint(estimator, name):
    """The estimator that owns parameter ``name`` and its constraint, or None."""
    path, _, param = name.rpartition("__")
    owner = estimator
    if path:
        owner = estimator.get_params(deep=True).get(path)
    constraints = parameter_constraints(owner) if owner is not None else None
    if constraints is None or param not in constraints:
        return None
    return owner, param, constraints[param]


def check_space_values(subspaces, estimator):
    """Warn, before any fit, about values of the space the estimator refuses.

    Numeric dimensions are checked at their bounds, categorical ones at every
    choice, against the owning estimator's scikit-learn parameter
    constraints. Candidates with such values would only fail one by one
    during the search (an integer parameter given float bounds, a dropout
    range past 1, a misspelt option).
    """
    if estimator is None or not hasattr(estimator, "get_params"):
        return
    for sub in subspaces:
        searched = set(sub.names)
        for dim in sub.dimensions:
            parts = dim.name.split("__")[:-1]
            if any("__".join(parts[:k]) in searched for k in range(1, len(parts) + 1)):
                continue  # the owning step is itself swapped by this subspace
            found = _owner_constraint(estimator, dim.name)
            if found is None:
                continue
            owner, param, constraint = found
            values = dim.choices if dim.kind == "cat" else (dim.low, dim.high)
            for value in values:
                try:
                    validate_parameter_constraints(
                        {param: constraint}, {param: value},
                        caller_name=type(owner).__name__,
                    )
                except InvalidParameterError as exc:
                    hint = (
                        " Give an integer parameter integer bounds, e.g. "
                        f"({int(dim.low)}, {int(dim.high)})."
                        if dim.kind == "real" and "an int" in str(exc) else ""
                    )
                    warn_caller(
                        f"The search space of {dim.name!r} holds the value "
                        f"{value!r}, which {type(owner).__name__} refuses: {exc} "
                        f"Candidates with it will fail.{hint}",
                        UserWarning,
                    )
                    break
                except Exception:  # pragma: no cover - a constraint we cannot check
                    break


def _lstm_base_class():
    """The classes that count as "the LSTM estimator" of a search: the two
    estimators and the forecaster (which has the same network parameters)."""
    try:
        from sklstm._estimators import _BaseLSTM
        from sklstm._forecaster import LSTMForecaster
    except ImportError:  # pragma: no cover - only while the estimators are absent
        return None
    return (_BaseLSTM, LSTMForecaster)


def _find_lstm_prefix(estimator, why=None):
    """Parameter prefix of the one LSTM estimator in ``estimator``.

    ``why`` ends the error message when there is none or several; by default
    it says that no default search space can be chosen.
    """
    base = _lstm_base_class()
    if base is not None and isinstance(estimator, base):
        return ""
    found = []
    if base is not None and hasattr(estimator, "get_params"):
        found = [
            name
            for name, value in estimator.get_params(deep=True).items()
            if isinstance(value, base)
        ]
    if not found:
        raise ValueError(
            f"No LSTM estimator found in {type(estimator).__name__}, "
            f"{why or 'so there is no default search space: search_spaces must be given'}."
        )
    if len(found) > 1:
        raise ValueError(
            f"Several LSTM estimators found ({', '.join(found)}), "
            f"{why or 'so the default search space is ambiguous: search_spaces must be given'}."
        )
    return found[0] + "__"


def default_lstm_space(estimator=None):
    """Default hyperparameter space of an LSTM estimator.

    The space covers the parameters that matter most for the default
    network (a recurrent layer beside a convolutional branch, attention
    pooling, automatic patches), centred on the estimators' defaults, which
    lie inside it:

    ================ ======================================================
    ``hidden_size``  ``Integer(32, 128, prior="log-uniform", base=2)``
    ``num_layers``   ``Integer(1, 2)``
    ``dropout``      ``Real(0.0, 0.5)``
    ``lr``           ``Real(1e-3, 1e-2, prior="log-uniform")``
    ``batch_size``   ``Categorical([16, 32])``
    ``conv_filters`` ``Categorical([32, 64])``, plus the estimator's own
                     value (0 for :class:`~sklstm.LSTMRegressor`)
    ``pooling``      ``Categorical(["attention", "last", "mean"])``
    ================ ======================================================

    The ranges come from cross-validation on the training splits of the
    five shipped classification sets (``benchmarks/choose_defaults.py``):
    16 hidden units, SGD and 128 filters scored lower or cost several
    times more there; the learning rate spans a factor of ten around the
    default peak rate of the cosine schedule (3e-3; its upper end was not
    measured).

    For an :class:`~sklstm.LSTMForecaster` the space is its own:
    ``lookback`` and ``hidden_size`` from half to twice the forecaster's,
    ``normalize``, ``strategy``, ``num_layers`` 1-2, ``dropout`` 0-0.3 and
    ``lr`` 1e-3-1e-2; add ``seasonal_period`` (and ``log``, if ``"auto"``
    should not decide) where your data calls for them. These ranges bracket
    the forecaster's
    defaults; they were not chosen by measurement.

    Parameters
    ----------
    estimator : estimator instance, default=None
        If given, the LSTM estimator is looked up inside it (a
        :class:`~sklearn.pipeline.Pipeline`, a nested pipeline or any
        meta-estimator exposing it through ``get_params``) and the parameter
        names are prefixed with its path, e.g. ``lstmclassifier__hidden_size``.

    Returns
    -------
    space : dict
        A new dict mapping parameter names to scikit-optimize dimensions.

    Raises
    ------
    ValueError
        If ``estimator`` holds no LSTM estimator, or more than one.

    Examples
    --------
    >>> from sklstm.search import default_lstm_space
    >>> sorted(default_lstm_space())
    ['batch_size', 'conv_filters', 'dropout', 'hidden_size', 'lr', 'num_layers', 'pooling']
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from sklstm import LSTMClassifier
    >>> pipe = make_pipeline(FunctionTransformer(), LSTMClassifier())
    >>> sorted(default_lstm_space(pipe))[:2]
    ['lstmclassifier__batch_size', 'lstmclassifier__conv_filters']
    """
    space = {
        "hidden_size": Integer(32, 128, prior="log-uniform", base=2),
        "num_layers": Integer(1, 2),
        "dropout": Real(0.0, 0.5),
        "lr": Real(1e-3, 1e-2, prior="log-uniform"),
        "batch_size": Categorical([16, 32]),
        "conv_filters": Categorical([32, 64]),
        "pooling": Categorical(["attention", "last", "mean"]),
    }
    if estimator is None:
        return space
    prefix = _find_lstm_prefix(estimator)
    found = estimator if not prefix else estimator.get_params(deep=True)[prefix[:-2]]
    if not isinstance(found, _lstm_base_class()[0]):
        space = _forecaster_space(found)
    else:
        # the estimator's own branch width is always a choice (the
        # regressor's default, 0, is no branch)
        own = found.get_params()["conv_filters"]
        choices = space["conv_filters"].categories
        if isinstance(own, int) and own not in choices:
            space["conv_filters"] = Categorical(sorted(set(choices) | {own}))
    return {prefix + name: dim for name, dim in space.items()}


def _forecaster_space(forecaster):
    """Default space of an :class:`~sklstm.LSTMForecaster`: the window, its
    normalisation and strategy, and the network, around the forecaster's own
    values (``log`` and ``seasonal_period`` depend on the data and are left
    to the user)."""
    lookback = int(forecaster.lookback)
    hidden = int(forecaster.hidden_size)
    return {
        "lookback": Integer(max(1, lookback // 2), max(lookback + 1, 2 * lookback)),
        "normalize": Categorical(["last_value", "window", None]),
        "strategy": Categorical(["direct", "recursive"]),
        "hidden_size": Integer(max(1, hidden // 2), max(hidden + 1, 2 * hidden),
                               prior="log-uniform", base=2),
        "num_layers": Integer(1, 2),
        "dropout": Real(0.0, 0.3),
        "lr": Real(1e-3, 1e-2, prior="log-uniform"),
    }
