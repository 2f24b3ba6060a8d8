"""Small real data sets shipped with sklstm, and synthetic generators.

Real data (no download; the files are part of the package):

- classification, equal length: :func:`load_gunpoint`,
  :func:`load_italy_power_demand` (univariate, 2-D), :func:`load_basic_motions`
  (multivariate, 3-D);
- classification, unequal length: :func:`load_pickup_gesture_wiimote_z`
  (univariate), :func:`load_japanese_vowels` (12 features);
- regression: :func:`load_cardano_sentiment` (2 features);
- forecasting: :func:`load_airline`, :func:`load_lynx` (1-D series).

Synthetic data: :func:`make_sequence_classification`,
:func:`make_sequence_regression`, :func:`make_text_classification`.
"""

from ._base import (
    load_airline,
    load_basic_motions,
    load_cardano_sentiment,
    load_gunpoint,
    load_italy_power_demand,
    load_japanese_vowels,
    load_lynx,
    load_pickup_gesture_wiimote_z,
)
from ._generators import (
    make_sequence_classification,
    make_sequence_regression,
    make_text_classification,
)

__all__ = [
    "load_airline",
    "load_basic_motions",
    "load_cardano_sentiment",
    "load_gunpoint",
    "load_italy_power_demand",
    "load_japanese_vowels",
    "load_lynx",
    "load_pickup_gesture_wiimote_z",
    "make_sequence_classification",
    "make_sequence_regression",
    "make_text_classification",
]
