"""Reliability of the estimators: interrupts, threads, inputs left alone."""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from skorch.callbacks import Callback

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm import _training

TINY = dict(hidden_size=4, max_epochs=3, batch_size=8, random_state=0)


def make_3d(n=24, t=6, f=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, t, f)).astype(np.float32)
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    return X, y


# ---------------------------------------------------------------- interrupts
def _interrupt_at(monkeypatch, hook, when):
    """Make DivergenceGuard's ``hook`` raise KeyboardInterrupt on call ``when``.

    skorch runs callbacks inside the loop that catches KeyboardInterrupt, so
    this is what a Ctrl-C at that moment does.
    """
    calls = []
    original = getattr(_training.DivergenceGuard, hook, Callback.on_epoch_end)

    def interrupting(self, net, **kwargs):
        calls.append(1)
        if len(calls) == when:
            raise KeyboardInterrupt
        return original(self, net, **kwargs)

    monkeypatch.setattr(_training.DivergenceGuard, hook, interrupting)


@pytest.mark.parametrize("hook, when", [
    ("on_batch_end", 4),  # in the middle of the second epoch
    ("on_epoch_end", 1),  # between the first and the second epoch
])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_interrupt_during_fit_propagates(monkeypatch, hook, when, early_stopping):
    X, y = make_3d()
    _interrupt_at(monkeypatch, hook, when)
    clf = LSTMClassifier(**dict(TINY, max_epochs=5), early_stopping=early_stopping)
    with pytest.raises(KeyboardInterrupt, match=r"interrupted after [01] of 5 epoch"):
        clf.fit(X, y)


def test_interrupt_during_partial_fit_propagates(monkeypatch):
    X, y = make_3d()
    reg = LSTMRegressor(**TINY).partial_fit(X, y.astype(float))
    _interrupt_at(monkeypatch, "on_batch_end", 2)
    with pytest.raises(KeyboardInterrupt):
        reg.partial_fit(X, y.astype(float))


def test_early_stopping_is_not_an_interrupt():
    X, y = make_3d()
    clf = LSTMClassifier(**dict(TINY, max_epochs=40), early_stopping=True,
                         n_iter_no_change=1, tol=10.0).fit(X, y)
    assert clf.n_iter_ < 40


def test_sigint_during_fit_raises_keyboard_interrupt():
    # the real thing, in a child process: Ctrl-C while the network trains
    code = textwrap.dedent("""
        import os, signal, sys, threading
        import numpy as np
        from sklstm import LSTMClassifier
        rng = np.random.RandomState(0)
        X = rng.normal(size=(20, 5, 1)).astype("float32")
        y = np.arange(20) % 2
        clf = LSTMClassifier(hidden_size=4, max_epochs=100000, random_state=0)
        threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGINT)).start()
        try:
            clf.fit(X, y)
        except KeyboardInterrupt as exc:
            print("KeyboardInterrupt:", exc)
            sys.exit(3)
        except BaseException as exc:
            print("other:", type(exc).__name__, exc)
            sys.exit(4)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.run([sys.executable, "-c", code], capture_output=True,
                           text=True, timeout=120, env=env)
    # (skorch used to swallow it, and the fit failed with a KeyError)
    assert child.returncode == 3, child.stdout + child.stderr
