"""A few of scikit-learn's own search tests, run on both searchers.

``benchmarks/sklearn_search_suite.py`` runs all of scikit-learn's
``test_search.py`` with ``GridSearchCV`` and ``RandomizedSearchCV`` standing
for the sklstm searchers (minutes; the count is in docs/architecture.md).
These few run with the test suite: they keep the stand-ins working with the
installed scikit-learn and cover what that run found and what was fixed
(callback metadata and tasks, failure warnings, error messages, ``range``
choices). A test the installed scikit-learn does not have is skipped.
"""

import importlib.util
import sys
from pathlib import Path

import pytest
import sklearn

sklearn_version = tuple(int(part) for part in sklearn.__version__.split(".")[:2])

SUITE = Path(__file__).resolve().parents[2] / "benchmarks" / "sklearn_search_suite.py"

TESTS = [
    "test_grid_search",
    "test_refit_callable",
    "test_grid_search_failing_classifier",
    "test_grid_search_cv_results_multimetric",
    "test_callable_multimetric_error_failing_clf",
    "test_empty_cv_iterator_error",
    "test_grid_search_when_param_grid_includes_range",
    "test_transform_inverse_transform_round_trip",
    "test_search_callbacks_receive_sample_weight",
    "test_search_callbacks_with_partial_fit_failures",
]


@pytest.fixture(scope="module")
def suite():
    if sklearn_version < (1, 9):
        # the expected failures are listed against scikit-learn 1.9's file
        pytest.skip("the stand-ins are checked against scikit-learn >= 1.9's tests")
    spec = importlib.util.spec_from_file_location("sklearn_search_suite", SUITE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # the stand-ins pickle by their module
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:  # a test file that needs what is not installed
        del sys.modules[spec.name]
        pytest.skip(f"scikit-learn {sklearn.__version__}'s test_search.py does not "
                    f"load here: {exc}")
    yield module
    sys.modules.pop(spec.name, None)


@pytest.mark.parametrize("kind", ["bayes", "genetic"])
@pytest.mark.parametrize("name", TESTS)
def test_a_scikit_learn_search_test(suite, name, kind):
    test = getattr(suite, f"{name}__{kind}", None)
    if test is None:
        pytest.skip(f"scikit-learn {sklearn.__version__} has no {name}")
    test()
