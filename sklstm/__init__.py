"""sklstm: scikit-learn compatible recurrent networks for sequence data."""

from . import datasets, preprocessing  # noqa: F401
from ._estimators import LSTMClassifier, LSTMRegressor

__version__ = "0.1.0.dev0"

__all__ = ["LSTMClassifier", "LSTMRegressor", "__version__"]
