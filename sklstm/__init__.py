"""sklstm: scikit-learn compatible recurrent networks for sequence data."""

from . import datasets, preprocessing  # noqa: F401
from ._estimators import LSTMClassifier, LSTMRegressor
from ._forecaster import LSTMForecaster
from .search import BayesSearchCV, GeneticSearchCV, default_lstm_space

__version__ = "0.1.0.dev0"

__all__ = [
    "BayesSearchCV",
    "GeneticSearchCV",
    "LSTMClassifier",
    "LSTMForecaster",
    "LSTMRegressor",
    "__version__",
    "default_lstm_space",
]
