"""Hyperparameter search for sklstm estimators (and any scikit-learn estimator).

Both searchers share one search-space vocabulary (see
:func:`default_lstm_space` and the user guide) and one base that runs the
cross-validation with scikit-learn's public API.
"""

from ._bayes import BayesSearchCV
from ._genetic import GeneticSearchCV
from ._space import default_lstm_space

__all__ = ["BayesSearchCV", "GeneticSearchCV", "default_lstm_space"]
