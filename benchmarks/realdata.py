"""The shipped classification sets, by name, on their standard splits."""

from sklstm.datasets import (
    load_basic_motions,
    load_gunpoint,
    load_italy_power_demand,
    load_japanese_vowels,
    load_pickup_gesture_wiimote_z,
)

LOADERS = {
    "GunPoint": load_gunpoint,
    "ItalyPowerDemand": load_italy_power_demand,
    "BasicMotions": load_basic_motions,
    "PickupGestureWiimoteZ": load_pickup_gesture_wiimote_z,
    "JapaneseVowels": load_japanese_vowels,
}
DATASETS = tuple(LOADERS)


def load(name, split):
    """``X, y`` of one set's ``"train"`` or ``"test"`` split."""
    return LOADERS[name](split=split)
