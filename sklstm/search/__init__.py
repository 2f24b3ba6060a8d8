"""Hyperparameter search for sklstm estimators (and any scikit-learn estimator)."""

from ._space import default_lstm_space

__all__ = ["default_lstm_space"]
