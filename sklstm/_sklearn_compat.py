"""The private scikit-learn names sklstm uses, and nothing else.

Everything else in the package uses scikit-learn's public API only. The names
here are private (an underscore in their module or name) but are the
conventional way for third-party estimators to do what scikit-learn's own
estimators do, or they are documented extension points whose names start with
an underscore. Each one is imported or reached *here* and nowhere else, and
``tests/test_sklearn_compat.py`` checks every one of them, so that a
scikit-learn release that changes one fails that test with a message naming
it, instead of breaking the package somewhere far away.

=====================================================  ==========================
name                                                   used for
=====================================================  ==========================
``sklearn.utils._param_validation``: ``Interval``,     ``_parameter_constraints``
``StrOptions``, ``HasMethods``, ``RealNotInt``,        of every estimator, and
``validate_params``, ``validate_parameter_constraints``  the space-value check
``InvalidParameterError``
``sklearn.base._fit_context``                          validating in ``fit``
``BaseEstimator._validate_params``                     validating a search's
                                                       parameters in its ``fit``
``<estimator>._parameter_constraints``                 reading another estimator's
                                                       constraints (space check)
``sklearn.utils._safe_indexing``                       taking rows of any input
                                                       (documented in the API
                                                       reference)
``CallbackSupportMixin._init_callback_context``        scikit-learn's callbacks
(scikit-learn >= 1.9, a documented extension point)    in a search's ``fit``
``<scorer>._accept_sample_weight``                     forwarding ``sample_weight``
(scikit-learn >= 1.8, where present)                   to the scorer without
                                                       metadata routing, as
                                                       ``BaseSearchCV`` does there
``_VisualBlock`` (``sklearn.utils._repr_html.estimator``  a search's HTML display
>= 1.7, ``sklearn.utils._estimator_html_repr`` before)   showing the refitted
                                                       ``best_estimator_``, as
                                                       ``BaseSearchCV`` does
=====================================================  ==========================
"""

from inspect import signature

import sklearn
from sklearn import get_config

__all__ = [
    "HAS_CALLBACKS",
    "CallbackSupportMixin",
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "RealNotInt",
    "SEARCHES_WEIGH_SCORES",
    "StrOptions",
    "call_with_callbacks",
    "estimator_block",
    "fit_context",
    "parameter_constraints",
    "root_callback_context",
    "safe_indexing",
    "scorer_accepts_sample_weight",
    "validate_own_params",
    "validate_parameter_constraints",
    "validate_params",
]


def _missing(name, exc):
    return ImportError(
        f"sklstm needs {name} from scikit-learn, which scikit-learn "
        f"{sklearn.__version__} does not provide ({exc}). Install a scikit-learn "
        "version that sklstm supports (see its pyproject.toml), or report this."
    )


try:
    from sklearn.utils._param_validation import (
        HasMethods,
        Interval,
        InvalidParameterError,
        RealNotInt,
        StrOptions,
        validate_parameter_constraints,
        validate_params,
    )
except ImportError as exc:  # pragma: no cover - a scikit-learn that moved them
    raise _missing("sklearn.utils._param_validation", exc) from None

try:
    from sklearn.base import _fit_context as fit_context
except ImportError as exc:  # pragma: no cover
    raise _missing("sklearn.base._fit_context", exc) from None

try:
    from sklearn.utils import _safe_indexing as safe_indexing
except ImportError as exc:  # pragma: no cover
    raise _missing("sklearn.utils._safe_indexing", exc) from None

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin, with_callbacks

    HAS_CALLBACKS = True
except ImportError:  # older scikit-learn: no callbacks to support
    HAS_CALLBACKS = False

    class CallbackSupportMixin:
        """Stands in for scikit-learn's callback support where it does not exist."""

    with_callbacks = None


try:  # scikit-learn >= 1.7
    from sklearn.utils._repr_html.estimator import _VisualBlock
except ImportError:  # pragma: no cover - scikit-learn 1.6
    try:
        from sklearn.utils._estimator_html_repr import _VisualBlock
    except ImportError:
        _VisualBlock = None


def estimator_block(key, estimator):
    """The HTML display block of a meta-estimator showing one inner estimator.

    What ``BaseSearchCV._sk_visual_block_`` returns: ``estimator`` in a box
    named ``"<key>: <class name>"``.
    """
    if _VisualBlock is None:  # pragma: no cover - a scikit-learn that moved it
        raise _missing("_VisualBlock (the HTML display of estimators)",
                       "neither sklearn.utils._repr_html.estimator nor "
                       "sklearn.utils._estimator_html_repr has it")
    return _VisualBlock(
        "parallel", [estimator],
        names=[f"{key}: {type(estimator).__name__}"],
        name_details=[str(estimator)],
    )


def validate_own_params(estimator):
    """Validate ``estimator``'s parameters against its ``_parameter_constraints``.

    What ``fit_context`` does before a ``fit``, for a ``fit`` that is not
    decorated (so that the warnings it raises point at the caller's line).
    Skipped where the configuration says so, as scikit-learn does.
    """
    if not get_config().get("skip_parameter_validation", False):
        estimator._validate_params()


def parameter_constraints(estimator):
    """The ``_parameter_constraints`` dict of any estimator, or None."""
    constraints = getattr(type(estimator), "_parameter_constraints", None)
    return constraints if isinstance(constraints, dict) else None


def root_callback_context(estimator, max_subtasks):
    """The root callback context of a ``fit``, or None without callback support."""
    if not HAS_CALLBACKS:
        return None
    return estimator._init_callback_context(max_subtasks=max_subtasks)


def call_with_callbacks(estimator, function, *args):
    """``function(*args)``, with the callbacks of ``estimator`` torn down after.

    Goes through scikit-learn's public ``with_callbacks`` decorator
    (scikit-learn >= 1.9), which calls every callback's ``teardown`` however
    the call ends; a plain call elsewhere.
    """
    if with_callbacks is None:
        return function(*args)
    return with_callbacks(lambda _estimator, *rest: function(*rest))(estimator, *args)


def _searches_weigh_scores():
    from sklearn.metrics import get_scorer

    return hasattr(get_scorer("accuracy"), "_accept_sample_weight")


#: Whether this scikit-learn's searches, without metadata routing, score with
#: the ``sample_weight`` given to ``fit`` (and warn about a scorer that cannot
#: take it): scikit-learn >= 1.8, whose scorers answer ``_accept_sample_weight``.
SEARCHES_WEIGH_SCORES = _searches_weigh_scores()


def scorer_accepts_sample_weight(scorer):
    """Whether a scorer takes ``sample_weight`` (scikit-learn >= 1.8 asks it).

    Without metadata routing, recent scikit-learn searches forward
    ``sample_weight`` to a scorer that accepts it; older ones never do. A
    scorer object answers through ``_accept_sample_weight`` where it has one;
    a plain callable (``scoring=callable``) by naming ``sample_weight``, as
    ``BaseSearchCV`` asks it, where the scorer objects answer.
    """
    accept = getattr(scorer, "_accept_sample_weight", None)
    if accept is None:
        if not SEARCHES_WEIGH_SCORES or not callable(scorer):
            return False
        try:
            return "sample_weight" in signature(scorer).parameters
        except (TypeError, ValueError):  # pragma: no cover - no signature to read
            return False
    try:
        return bool(accept())
    except Exception:  # pragma: no cover - a scorer that cannot tell
        return False
