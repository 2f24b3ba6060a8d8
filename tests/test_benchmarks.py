"""The search race benchmark: its bookkeeping, and its peers (the bench extra).

The race itself is a benchmark (``benchmarks/search_race.py``); these tests
check that its anytime curves are computed from the right scores and that
every peer searcher it drives runs on tiny settings with the versions
installed (the ``bench`` extra).
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
race = pytest.importorskip("search_race")


def _log(path, rows):
    with open(path, "w") as f:
        for t, key, fold, epochs, score in rows:
            f.write(json.dumps({"t": t, "key": key, "fold": fold, "epochs": epochs,
                                "score": score}) + "\n")


def test_anytime_counts_complete_full_budget_candidates_only(tmp_path):
    path = tmp_path / "log.jsonl"
    _log(path, [
        (101.0, "a", "f1", 9, 0.50),  # a: both folds at the full budget
        (102.0, "a", "f2", 9, 0.70),
        (103.0, "b", "f1", 3, 0.99),  # b: a low rung only, never counted
        (104.0, "b", "f2", 8, 0.99),
        (105.0, "c", "train", 9, 1.0),  # scored on data that is no fold
        (106.0, "c", "f1", 9, 0.40),  # c: worse than a
        (107.0, "c", "f2", 9, 0.40),
        (108.0, "d", "f1", 9, 0.90),  # d: better, completes at 110
        (110.0, "d", "f2", 9, 0.80),
        (111.0, "e", "f1", 9, 1.00),  # e: one fold only
    ])
    curve = race.anytime(str(path), 100.0, 9, {"f1", "f2"})
    assert curve == [(2.0, pytest.approx(0.6)), (10.0, pytest.approx(0.85))]


def test_anytime_counts_a_repeated_candidate_again(tmp_path):
    path = tmp_path / "log.jsonl"
    _log(path, [(1.0, "a", "f1", 5, 0.2), (2.0, "a", "f2", 5, 0.2),
                (3.0, "a", "f1", 5, 0.9), (4.0, "a", "f2", 5, 0.9)])
    assert race.anytime(str(path), 0.0, 5, {"f1", "f2"}) == [
        (2.0, pytest.approx(0.2)), (4.0, pytest.approx(0.9))]


def test_fingerprint_tells_folds_apart():
    X = np.arange(24, dtype=np.float32).reshape(6, 4, 1)
    y = np.array([0, 1, 0, 1, 0, 1])
    a, b = race.fingerprint(X[:3], y[:3]), race.fingerprint(X[3:], y[3:])
    assert a != b
    assert a == race.fingerprint(X[:3].copy(), y[:3].copy())
    ragged = [x[: i + 1] for i, x in enumerate(X)]
    assert race.fingerprint(race.take(ragged, [0, 2]), y[[0, 2]]) != race.fingerprint(
        race.take(ragged, [1, 2]), y[[1, 2]])


def test_anytime_lead_compares_at_equal_time():
    row = lambda curve, wall, test: {"curve": curve, "wall": wall, "test": test}  # noqa: E731
    results = {"set": {"0": {
        "bayes": row([(1.0, 0.6), (5.0, 0.9)], 10.0, 0.9),
        "genetic": row([(1.0, 0.5)], 10.0, 0.8),
        "random": row([(1.0, 0.7)], 10.0, 0.8),
    }}}
    lead = race.anytime_lead(results, n_points=5)
    # bayes (the best sklstm searcher by test accuracy) trails random before
    # t=5 and leads from t=5 on: time points 1, 3.25, 5.5, 7.75, 10
    assert lead == {"random (bayes vs it)": pytest.approx(3 / 5)}


def test_race_runs_every_peer_on_tiny_settings():
    pytest.importorskip("optuna")
    pytest.importorskip("sklearn_genetic")
    results = race.main([
        "--quick", "--sets", "ItalyPowerDemand", "--n-jobs", "1", "--max-epochs", "3",
        "--train-size", "16", "--rescore", "0",
        "--methods", "random,genetic-mf,halving,optuna,ga-opt,skopt",
    ])
    rows = results["ItalyPowerDemand"]["0"]
    assert list(rows) == ["random", "genetic-mf", "halving", "optuna", "ga-opt", "skopt"]
    for method, row in rows.items():
        assert 0.0 <= row["test"] <= 1.0, method
        assert row["wall"] > 0, method
        assert row["curve"], f"{method} completed no full-budget candidate"
        assert all(0.0 <= score <= 1.0 for _, score in row["curve"]), method
    # 3 random candidates x 2 folds, each scored once by the logging scorer
    assert rows["random"]["fold_scores"] == 6
    # optuna's trials run the 3-epoch schedule in rungs of 1 and 3 epochs
    assert rows["optuna"]["fold_scores"] >= 6
