"""Every script in examples/ runs (with a small budget) and prints its metric."""

import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).parent.parent / "examples").glob("*.py"))


def test_there_are_examples():
    assert len(EXAMPLES) >= 1


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    env = dict(os.environ, SKLSTM_EXAMPLE_FAST="1", MPLBACKEND="Agg")
    out = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    # each example reports a score or an error measure
    assert any(w in out.stdout.lower() for w in ("accuracy", "score", "rmse", "mape")), out.stdout
