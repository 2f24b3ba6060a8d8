"""Every private scikit-learn name sklstm relies on, checked one by one.

sklstm touches private scikit-learn names in ``sklstm/_sklearn_compat.py``
only. Each test here exercises one of them the way the package uses it, and
fails with a message naming it, so that a scikit-learn release that changes
one shows up here, with the fix to make, rather than as a confusing error
deep inside a search.
"""

import importlib
from numbers import Integral

import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression

from sklstm import _sklearn_compat as compat


def _explain(name):
    return (
        f"scikit-learn {sklearn.__version__} changed {name}, which sklstm uses "
        "(see sklstm/_sklearn_compat.py): adapt that module."
    )


def test_param_validation_names():
    module = importlib.import_module("sklearn.utils._param_validation")
    for name in ("Interval", "StrOptions", "HasMethods", "RealNotInt",
                 "validate_params", "validate_parameter_constraints",
                 "InvalidParameterError"):
        assert hasattr(module, name), _explain(f"sklearn.utils._param_validation.{name}")
    assert issubclass(compat.InvalidParameterError, ValueError), _explain(
        "InvalidParameterError (no longer a ValueError)")
    interval = compat.Interval(Integral, 1, None, closed="left")
    assert interval.is_satisfied_by(3) and not interval.is_satisfied_by(0), _explain(
        "Interval.is_satisfied_by")
    assert compat.StrOptions({"a"}).is_satisfied_by("a"), _explain("StrOptions")
    assert compat.HasMethods(["fit"]).is_satisfied_by(LogisticRegression()), _explain(
        "HasMethods")
    assert compat.RealNotInt is not int, _explain("RealNotInt")
    with pytest.raises(compat.InvalidParameterError):
        compat.validate_parameter_constraints(
            {"n": [compat.Interval(Integral, 1, None, closed="left")]}, {"n": 0},
            caller_name="Check",
        )

    @compat.validate_params({"n": [compat.Interval(Integral, 1, None, closed="left")]},
                            prefer_skip_nested_validation=True)
    def needs_positive(n):
        return n

    assert needs_positive(2) == 2
    with pytest.raises(ValueError, match="n"):
        needs_positive(0)


class _Validated(BaseEstimator):
    _parameter_constraints = {"n": [compat.Interval(Integral, 1, None, closed="left")]}

    def __init__(self, n=1):
        self.n = n

    @compat.fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        self.fitted_ = True
        return self


def test_fit_context_and_validate_params():
    assert _Validated(n=2).fit().fitted_, _explain("sklearn.base._fit_context")
    with pytest.raises(ValueError, match="n"):
        _Validated(n=0).fit()
    assert hasattr(BaseEstimator, "_validate_params"), _explain(
        "BaseEstimator._validate_params")
    with pytest.raises(ValueError, match="n"):
        compat.validate_own_params(_Validated(n=0))
    compat.validate_own_params(_Validated(n=3))
    with sklearn.config_context(skip_parameter_validation=True):
        compat.validate_own_params(_Validated(n=0))  # skipped, as scikit-learn does


def test_parameter_constraints_of_other_estimators():
    constraints = compat.parameter_constraints(LogisticRegression())
    assert isinstance(constraints, dict) and "C" in constraints, _explain(
        "the _parameter_constraints attribute of estimators")
    assert compat.parameter_constraints(object()) is None


def test_safe_indexing():
    assert compat.safe_indexing([10, 11, 12], [2, 0]) == [12, 10], _explain(
        "sklearn.utils._safe_indexing")
    np.testing.assert_array_equal(compat.safe_indexing(np.arange(4), [1, 3]), [1, 3])
    ragged = [np.zeros((2, 1)), np.ones((3, 1))]
    assert compat.safe_indexing(ragged, [1])[0].shape == (3, 1)


def test_callback_support_where_scikit_learn_has_it():
    try:
        importlib.import_module("sklearn.callback")
    except ImportError:
        assert not compat.HAS_CALLBACKS
        assert compat.root_callback_context(LogisticRegression(), 1) is None
        assert compat.call_with_callbacks(None, lambda a: a + 1, 1) == 2
        return
    assert compat.HAS_CALLBACKS
    from sklearn.callback import CallbackSupportMixin

    class Meta(CallbackSupportMixin, BaseEstimator):
        pass

    meta = Meta()
    assert hasattr(meta, "_init_callback_context"), _explain(
        "CallbackSupportMixin._init_callback_context")
    ctx = compat.root_callback_context(meta, max_subtasks=1)
    for method in ("subcontext", "call_on_fit_task_begin", "call_on_fit_task_end",
                   "propagate_callback_context"):
        assert hasattr(ctx, method), _explain(f"CallbackContext.{method}")
    assert compat.call_with_callbacks(meta, lambda a: a * 2, 4) == 8


def test_scorer_sample_weight_question():
    from sklearn.metrics import get_scorer

    scorer = get_scorer("accuracy")
    answer = compat.scorer_accepts_sample_weight(scorer)
    assert isinstance(answer, bool)
    if hasattr(scorer, "_accept_sample_weight"):
        assert answer, _explain("the scorers' _accept_sample_weight")
    assert compat.scorer_accepts_sample_weight(lambda est, X, y: 0.0) is False
    # a callable naming sample_weight takes it where the searches ask scorers
    named = compat.scorer_accepts_sample_weight(lambda est, X, y, sample_weight=None: 0.0)
    assert named is compat.SEARCHES_WEIGH_SCORES
    assert compat.SEARCHES_WEIGH_SCORES is hasattr(scorer, "_accept_sample_weight")


def test_estimator_block_for_the_html_display():
    block = compat.estimator_block("best_estimator_", LogisticRegression(C=0.5))
    for attr in ("kind", "estimators", "names", "name_details"):
        assert hasattr(block, attr), _explain(f"_VisualBlock.{attr}")
    assert block.kind == "parallel", _explain("_VisualBlock")
    assert block.names == ["best_estimator_: LogisticRegression"], _explain("_VisualBlock")
