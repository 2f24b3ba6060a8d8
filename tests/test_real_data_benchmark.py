"""The real-data benchmark's helpers: loading, padding for MiniRocket, baselines.

The benchmark itself (``benchmarks/real_data.py``) trains for hours; these
tests check its pieces on shipped data, and aeon's sets and MiniRocket where
the ``bench`` extra is installed.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
real_data = pytest.importorskip("real_data")
realdata = pytest.importorskip("realdata")


def test_channels_first_zero_pads_ragged_sequences():
    X = [np.ones((3, 2)), 2 * np.ones((5, 2))]
    out = realdata.channels_first(X, realdata.longest(X, [np.ones((6, 2))]))
    assert out.shape == (2, 2, 6)
    assert (out[0, :, :3] == 1).all() and (out[0, :, 3:] == 0).all()
    assert (out[1, :, :5] == 2).all() and (out[1, :, 5:] == 0).all()
    # a 2-D array is one channel per row
    flat = realdata.channels_first(np.arange(6.0).reshape(2, 3), 4)
    assert flat.shape == (2, 1, 4) and flat[1, 0].tolist() == [3, 4, 5, 0]


def test_regression_baselines_on_a_shipped_set():
    X, y = realdata.load("CardanoSentiment", "train")
    _, y_test = realdata.load("CardanoSentiment", "test")
    mean = real_data.run_regression("CardanoSentiment", "mean", 0)
    assert mean["rmse"] == pytest.approx(np.sqrt(np.mean((y_test - y.mean()) ** 2)))
    ridge = real_data.run_regression("CardanoSentiment", "ridge", 0)
    assert np.isfinite(ridge["rmse"]) and ridge["seconds"] >= 0


def test_paired_differences_and_report(capsys):
    rows = [dict(set="GunPoint", method=m, seed=s, accuracy=a, seconds=1.0)
            for m, accs in (("default", (0.90, 0.80, 0.85)),
                            ("minirocket", (0.95, 0.95, 0.95)))
            for s, a in enumerate(accs)]
    mean, se, n = real_data._paired(rows, "GunPoint", "default", "minirocket", "accuracy")
    assert n == 3 and mean == pytest.approx(-0.10)
    assert se == pytest.approx(np.std([-0.05, -0.15, -0.10], ddof=1) / np.sqrt(3))
    real_data.report(rows + [dict(task="regression", set="Covid3Month", method="mean",
                                  seed=0, rmse=0.04, seconds=0.0)])
    out = capsys.readouterr().out
    assert "mean (sets weigh alike)" in out and "GunPoint -10.0 (2.9)" in out
    assert "Covid3Month" in out and "0.0400" in out


def test_unknown_set_is_refused():
    with pytest.raises(ValueError, match="unknown data set 'Nope'"):
        realdata.load("Nope", "train")


def test_aeon_sets_and_minirocket():
    pytest.importorskip("aeon")
    X, y = realdata.load("ArrowHead", "train")
    assert X.shape == (36, 251) and X.dtype == np.float32 and len(set(y)) == 3
    X_cov, y_cov = realdata.load("Covid3Month", "train")
    assert X_cov.shape == (140, 84) and y_cov.dtype.kind == "f"
    pred = real_data._minirocket(False, 0, X[:20], y[:20], X[20:])
    assert set(pred) <= set(y) and len(pred) == 16


def test_choose_recipe_epochs_rule_and_summary(tmp_path, capsys):
    choose = pytest.importorskip("choose_recipe")
    from sklstm._estimators import _resolve_max_epochs

    # the benchmark's steps rule is the one max_epochs="auto" applies
    for n in (24, 33, 36, 133, 180, 1000):
        assert choose.epochs_for(n, 1500) == _resolve_max_epochs("auto", n, 16)
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join([
        '{"set": "A", "cfg": "base", "seed": 0, "cv": 0.5}',
        '{"set": "A", "cfg": "base", "seed": 1, "cv": 0.7}',
        '{"set": "A", "cfg": "steps1500", "seed": 0, "cv": 0.6}',
        '{"set": "A", "cfg": "steps1500", "seed": 1, "cv": 0.9}',
    ]))
    choose.summary(str(rows))
    out = capsys.readouterr().out
    assert "vs base: +0.1500 (se 0.0500, seeds [0, 1])" in out
