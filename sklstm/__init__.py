"""sklstm: scikit-learn compatible recurrent networks for sequence data."""

__version__ = "0.1.0.dev0"
