"""Rebuild the small data files shipped in ``sklstm/datasets/data``.

This is a one-off maintenance script, not part of the installed package: the
package only reads the files written here and never imports aeon.

The numbers come from the copies of the public time-series archives that the
``aeon`` package (BSD-3-Clause) distributes in its ``datasets/data`` folder.
The ``.ts`` files are parsed here directly, so that class labels keep their
original spelling (aeon's own loader lower-cases some of them).

Usage::

    pip install aeon==1.6.0
    python tools/extract_datasets.py

Output (overwritten):

* ``gunpoint.npz``, ``italy_power_demand.npz``, ``basic_motions.npz`` and
  ``cardano_sentiment.npz``: equal-length problems, arrays ``X_train``,
  ``y_train``, ``X_test``, ``y_test`` with ``X`` laid out as
  ``(n_samples, n_timesteps)`` for univariate and
  ``(n_samples, n_timesteps, n_features)`` for multivariate data, float32.
* ``pickup_gesture_wiimote_z.npz`` and ``japanese_vowels.npz``: unequal
  length problems, every split stored as one ``(total_timesteps,
  n_features)`` float32 block ``X_<split>`` plus ``lengths_<split>``.
* ``airline.csv`` and ``lynx.csv``: forecasting series, two columns.
"""

import argparse
import importlib.util
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "sklstm" / "datasets" / "data"


def aeon_data_dir():
    spec = importlib.util.find_spec("aeon")
    if spec is None:
        raise SystemExit("aeon is not installed: pip install aeon==1.6.0")
    return Path(spec.origin).parent / "datasets" / "data"


def read_ts(path):
    """Parse a .ts file: list of (n_timesteps, n_channels) arrays, labels."""
    series, labels = [], []
    in_data = False
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not in_data:
                if line.lower().startswith("@data"):
                    in_data = True
                continue
            *channels, label = line.split(":")
            chans = [np.array(c.split(","), dtype=np.float64) for c in channels]
            lengths = {len(c) for c in chans}
            if len(lengths) != 1:
                raise ValueError(f"{path}: channels of unequal length in a case")
            series.append(np.stack(chans, axis=1))
            labels.append(label.strip())
    return series, np.array(labels)


def equal_length(name, data_dir, regression=False):
    out = {}
    for split in ("train", "test"):
        series, labels = read_ts(data_dir / name / f"{name}_{split.upper()}.ts")
        X = np.stack(series).astype(np.float32)  # (n, T, F)
        if X.shape[2] == 1:
            X = X[:, :, 0]
        out[f"X_{split}"] = X
        out[f"y_{split}"] = labels.astype(np.float64) if regression else labels
    return out


def unequal_length(name, data_dir):
    out = {}
    for split in ("train", "test"):
        series, labels = read_ts(data_dir / name / f"{name}_{split.upper()}.ts")
        if any(np.isnan(s).any() for s in series):
            raise ValueError(f"{name}: missing values are not expected")
        out[f"X_{split}"] = np.concatenate(series).astype(np.float32)
        out[f"lengths_{split}"] = np.array([len(s) for s in series], dtype=np.int32)
        out[f"y_{split}"] = labels
    return out


def copy_csv(src, dst, header):
    rows = src.read_text(encoding="utf-8").strip().splitlines()[1:]
    lines = [header]
    for row in rows:
        when, value = row.split(",")
        if not float(value).is_integer():
            raise ValueError(f"{src.name}: expected whole counts, got {value}")
        lines.append(f"{when},{int(float(value))}")
    dst.write_text("\n".join(lines) + "\n", encoding="utf-8")


def cross_check(name, arrays):
    """Compare with aeon's own loader (values only; labels may differ in case)."""
    import aeon.datasets as ad

    loader = {
        "GunPoint": ad.load_gunpoint,
        "ItalyPowerDemand": ad.load_italy_power_demand,
        "BasicMotions": ad.load_basic_motions,
        "CardanoSentiment": ad.load_cardano_sentiment,
    }[name]
    for split in ("train", "test"):
        Xa, ya = loader(split=split)
        X = arrays[f"X_{split}"]
        X3 = X[:, :, None] if X.ndim == 2 else X
        np.testing.assert_allclose(X3, Xa.transpose(0, 2, 1), rtol=1e-6, atol=1e-3)
        assert len(ya) == len(arrays[f"y_{split}"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None,
                        help="aeon's datasets/data folder (found automatically)")
    args = parser.parse_args()
    data_dir = args.source or aeon_data_dir()
    OUT.mkdir(parents=True, exist_ok=True)

    for name, fname, regression in [
        ("GunPoint", "gunpoint", False),
        ("ItalyPowerDemand", "italy_power_demand", False),
        ("BasicMotions", "basic_motions", False),
        ("CardanoSentiment", "cardano_sentiment", True),
    ]:
        arrays = equal_length(name, data_dir, regression=regression)
        cross_check(name, arrays)
        np.savez_compressed(OUT / f"{fname}.npz", **arrays)

    for name, fname in [
        ("PickupGestureWiimoteZ", "pickup_gesture_wiimote_z"),
        ("JapaneseVowels", "japanese_vowels"),
    ]:
        np.savez_compressed(OUT / f"{fname}.npz", **unequal_length(name, data_dir))

    copy_csv(data_dir / "Airline" / "Airline.csv", OUT / "airline.csv", "month,passengers")
    copy_csv(data_dir / "Lynx" / "Lynx.csv", OUT / "lynx.csv", "year,trappings")

    for f in sorted(OUT.iterdir()):
        print(f"{f.name:32s} {f.stat().st_size / 1024:8.1f} KiB")


if __name__ == "__main__":
    main()
