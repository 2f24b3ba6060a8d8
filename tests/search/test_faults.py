"""Fault injection: interrupts, crashes, damaged files and contention.

Every case either resumes to exactly the results of an uninterrupted search
or fails with a clear error that names the checkpoint file; none changes a
result silently. Kills and Ctrl-C happen in child processes (started in a
session of their own, so a signal reaches the search and its workers, as a
Ctrl-C in a terminal does).
"""

import errno
import os
import pickle
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from sklstm.search import _checkpoint
from sklstm.search._checkpoint import read_checkpoint

HELPERS = textwrap.dedent('''
    import os
    import signal
    import threading
    import time

    import numpy as np
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from skopt.space import Real

    from sklstm import LSTMClassifier
    from sklstm.search import BayesSearchCV, GeneticSearchCV


    def _log_fit(log):
        """Append a line to ``log``; the number of lines so far."""
        with open(log, "a") as f:
            f.write("fit\\n")
        with open(log) as f:
            return sum(1 for _ in f)


    class LoggedLogistic(ClassifierMixin, BaseEstimator):
        """Logistic regression that logs its fits (pausing FAULT_PAUSE s)."""

        def __init__(self, C=1.0, fit_intercept=True, log=None, random_state=None):
            self.C = C
            self.fit_intercept = fit_intercept
            self.log = log
            self.random_state = random_state

        def fit(self, X, y):
            time.sleep(float(os.environ.get("FAULT_PAUSE", "0")))
            self.model_ = LogisticRegression(
                C=self.C, fit_intercept=self.fit_intercept).fit(X, y)
            self.classes_ = self.model_.classes_
            _log_fit(self.log)
            return self

        def predict(self, X):
            return self.model_.predict(X)


    class InterruptedLSTM(LSTMClassifier):
        """LSTMClassifier whose fit number FAULT_SIGINT_AT gets a Ctrl-C.

        That fit trains (almost) forever, and its own process receives SIGINT
        half a second in, while the network trains. Python drops a SIGINT
        that lands while a finalizer runs ("Exception ignored in ..."), so
        while the fit goes on, Ctrl-C is pressed again every 5 s, as a user
        would.
        """

        def fit(self, X, y):
            log = os.environ.get("FAULT_LOG")
            n = _log_fit(log) if log else 0
            if os.environ.get("FAULT_SIGINT_AT") != str(n):
                return super().fit(X, y)
            self.max_epochs = 10**6
            done = threading.Event()

            def press():
                delay = 0.5
                while not done.wait(delay):
                    os.kill(os.getpid(), signal.SIGINT)
                    delay = 5.0

            threading.Thread(target=press, daemon=True).start()
            try:
                return super().fit(X, y)
            finally:
                done.set()


    def data(kind):
        if kind == "lstm":
            rng = np.random.RandomState(0)
            X = rng.normal(size=(16, 4, 1)).astype(np.float32)
            return X, (X[:, :, 0].mean(axis=1) > 0).astype(int)
        return make_classification(n_samples=60, n_features=5, n_informative=3,
                                   random_state=0)


    def make(searcher, kind, checkpoint, n_jobs=1, log=None):
        if kind == "lstm":
            est = InterruptedLSTM(hidden_size=3, max_epochs=3, batch_size=8)
            space = {"hidden_size": [2, 3], "lr": Real(1e-3, 1e-1, prior="log-uniform")}
            cv = 2
        else:
            est = LoggedLogistic(log=log)
            space = {"C": Real(1e-3, 1e2, prior="log-uniform"),
                     "fit_intercept": [True, False]}
            cv = 3
        if searcher == "bayes":
            return BayesSearchCV(est, space, n_iter=6, n_points=2, cv=cv,
                                 random_state=0, checkpoint=checkpoint,
                                 n_jobs=n_jobs,
                                 optimizer_kwargs={"n_initial_points": 4})
        return GeneticSearchCV(est, space, population_size=3, n_generations=3,
                               cv=cv, random_state=0, checkpoint=checkpoint,
                               n_jobs=n_jobs)
''')

CHILD = textwrap.dedent('''
    import signal
    import sys
    # a shell without job control starts background commands with Ctrl-C
    # ignored, and Python keeps an ignored SIGINT ignored: restore it, so the
    # Ctrl-C tests hold when the suite itself runs in the background
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.path.insert(0, sys.argv[1])
    from fault_helpers import data, make
    searcher, kind, checkpoint, n_jobs, log = sys.argv[2:]
    make(searcher, kind, checkpoint, int(n_jobs), log).fit(*data(kind))
    print("search finished")
''')


@pytest.fixture(scope="module")
def helpers(tmp_path_factory):
    where = tmp_path_factory.mktemp("fault_helpers")
    (where / "fault_helpers.py").write_text(HELPERS)
    sys.path.insert(0, str(where))
    sys.modules.pop("fault_helpers", None)
    import fault_helpers

    fault_helpers.where = str(where)
    fault_helpers.references = {}
    yield fault_helpers
    sys.modules.pop("fault_helpers", None)
    sys.path.remove(str(where))


def _reference(helpers, searcher, kind):
    """The uninterrupted search (computed once per module)."""
    key = (searcher, kind)
    if key not in helpers.references:
        log = os.path.join(helpers.where, f"reference-{searcher}-{kind}.log")
        search = helpers.make(searcher, kind, None, log=log)
        helpers.references[key] = search.fit(*helpers.data(kind))
    return helpers.references[key]


def _assert_same_results(resumed, reference):
    ref, res = reference.cv_results_, resumed.cv_results_
    assert res["params"] == ref["params"]
    for name in ref:
        if name.endswith("_time") or name == "params":
            continue
        np.testing.assert_array_equal(np.asarray(res[name]), np.asarray(ref[name]),
                                      err_msg=name)
    assert resumed.best_params_ == reference.best_params_
    assert resumed.n_fits_ == reference.n_fits_


def _stored_batches(path):
    try:
        return read_checkpoint(str(path))[2]
    except (ValueError, FileNotFoundError):
        return []


def _no_failed_rows(batches):
    for batch in batches:
        for segment in batch.segments:
            assert segment[0] == "rows"
            assert all(entry["fit_error"] is None for entry in segment[2])


def _start_child(helpers, searcher, kind, checkpoint, n_jobs, log, **env):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), **env)
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, helpers.where, searcher, kind,
         str(checkpoint), str(n_jobs), str(log)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )


def _signal_when_stored(child, checkpoint, n_batches, sig, timeout=120):
    """Send ``sig`` to the child's process group once ``n_batches`` are stored."""
    deadline = time.monotonic() + timeout
    while child.poll() is None and time.monotonic() < deadline:
        if len(_stored_batches(checkpoint)) >= n_batches:
            os.killpg(child.pid, sig)
            break
        time.sleep(0.02)
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:  # pragma: no cover - a hung child
        os.killpg(child.pid, signal.SIGKILL)
        out, err = child.communicate()
        pytest.fail(f"the child search hung after {sig!r}: {err}")
    return child.returncode, out, err


# ------------------------------------------------------------ crashes
@pytest.mark.parametrize("searcher", ["bayes", "genetic"])
@pytest.mark.parametrize("when", ["after 1 batch", "after 2 batches", "at random"])
def test_parallel_search_killed_resumes_exactly(helpers, searcher, when, tmp_path):
    reference = _reference(helpers, searcher, "logistic")
    checkpoint, log = tmp_path / "search.ckpt", tmp_path / "run.log"
    child = _start_child(helpers, searcher, "logistic", checkpoint, 2, log,
                         FAULT_PAUSE="0.05")
    if when == "at random":
        time.sleep(random.Random(searcher).uniform(2.0, 6.0))
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate(timeout=60)
    else:
        code, _, err = _signal_when_stored(child, checkpoint, int(when[6]),
                                           signal.SIGKILL)
        assert code == -signal.SIGKILL, err
    stored = _stored_batches(checkpoint)
    _no_failed_rows(stored)
    # resumed in this process, serially: the helpers module is not importable
    # in joblib workers started before it was written (n_jobs is not part of
    # what a checkpoint must agree on)
    resumed = helpers.make(searcher, "logistic", checkpoint, log=str(log))
    resumed.fit(*helpers.data("logistic"))
    _assert_same_results(resumed, reference)
    # the lock was released by the operating system; nothing is left behind
    assert sorted(os.listdir(tmp_path)) == ["run.log", "search.ckpt"]


# ------------------------------------------------------------ Ctrl-C
@pytest.mark.parametrize("searcher, at", [("bayes", 5), ("genetic", 7)])
def test_ctrl_c_in_a_serial_lstm_search_records_nothing_of_its_batch(
        helpers, searcher, at, tmp_path):
    reference = _reference(helpers, searcher, "lstm")
    checkpoint, log = tmp_path / "search.ckpt", tmp_path / "run.log"
    # fit number `at` is the first one of the second batch (2 candidates x 2
    # folds for the Bayesian search, 3 x 2 for the genetic one)
    child = _start_child(helpers, searcher, "lstm", checkpoint, 1, log,
                         FAULT_LOG=str(log), FAULT_SIGINT_AT=str(at))
    out, err = child.communicate(timeout=300)
    # the interrupt ends the search (it used to be recorded as a failed fit,
    # and the search went on to exit normally)
    assert "search finished" not in out, err
    assert "KeyboardInterrupt" in err, err
    stored = _stored_batches(checkpoint)
    assert sum(batch.n_fits for batch in stored) == at - 1
    _no_failed_rows(stored)
    resumed = helpers.make(searcher, "lstm", checkpoint).fit(*helpers.data("lstm"))
    _assert_same_results(resumed, reference)


def test_ctrl_c_in_a_parallel_lstm_search(helpers, tmp_path):
    reference = _reference(helpers, "genetic", "lstm")
    checkpoint, log = tmp_path / "search.ckpt", tmp_path / "run.log"
    child = _start_child(helpers, "genetic", "lstm", checkpoint, 2, log,
                         FAULT_LOG=str(log))
    code, out, err = _signal_when_stored(child, checkpoint, 1, signal.SIGINT)
    if "search finished" not in out:  # the signal came before the end
        assert code != 0 and "KeyboardInterrupt" in err, err
    _no_failed_rows(_stored_batches(checkpoint))
    resumed = helpers.make("genetic", "lstm", checkpoint).fit(*helpers.data("lstm"))
    _assert_same_results(resumed, reference)


# ----------------------------------------------------- damaged files
@pytest.fixture(scope="module")
def finished(helpers, tmp_path_factory):
    """The bytes of a finished checkpoint, and the search that wrote it."""
    path = tmp_path_factory.mktemp("finished") / "search.ckpt"
    log = str(path) + ".log"
    search = helpers.make("genetic", "logistic", path, log=log)
    search.fit(*helpers.data("logistic"))
    return path.read_bytes(), search


def _refused(path, data):
    path.write_bytes(data)
    with pytest.raises(ValueError) as info:
        read_checkpoint(str(path))
    assert str(path) in str(info.value)
    return str(info.value)


def test_every_flipped_byte_is_refused(finished, tmp_path):
    data, _ = finished
    shown = str(tmp_path / "flipped.ckpt")
    damaged = 0
    for i in range(len(data)):  # one bit of every byte
        flipped = bytearray(data)
        flipped[i] ^= 1 << (i % 8)
        try:
            _checkpoint._parse_file(bytes(flipped), shown)
        except ValueError as exc:
            assert shown in str(exc)
            damaged += "is damaged" in str(exc)
        else:
            pytest.fail(f"a flipped bit in byte {i} was accepted")
    # the content fails its checksum; the header is checked on its own
    assert len(data) - data.index(b"\n") - 1 <= damaged < len(data)


def test_truncated_files_are_refused(finished, tmp_path):
    data, _ = finished
    path = tmp_path / "cut.ckpt"
    for size in (0, 1, 40, data.index(b"\n"), data.index(b"\n") + 1,
                 len(data) // 2, len(data) - 1):
        _refused(path, data[:size])
    _refused(path, data + b" ")  # and so is anything appended


def test_a_damaged_checkpoint_stops_the_search_before_any_fit(helpers, finished,
                                                             tmp_path):
    data, _ = finished
    path, log = tmp_path / "search.ckpt", tmp_path / "run.log"
    damaged = bytearray(data)
    damaged[-10] ^= 4
    path.write_bytes(bytes(damaged))
    search = helpers.make("genetic", "logistic", path, log=str(log))
    with pytest.raises(ValueError, match="is damaged.*Delete the file"):
        search.fit(*helpers.data("logistic"))
    assert not log.exists()  # nothing was fitted
    assert path.read_bytes() == bytes(damaged)  # nor overwritten


def test_a_planted_pickle_is_never_unpickled(tmp_path):
    marker = tmp_path / "code-ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "planted.ckpt"
    path.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ValueError, match="looks like a pickle"):
        read_checkpoint(str(path))
    assert not marker.exists()


def test_valid_checksum_but_foreign_content_is_refused(tmp_path):
    path = tmp_path / "crafted.ckpt"
    for content in ({"fingerprint": {}, "seeds": None, "batches": [{"keys": 1}]},
                    {"fingerprint": {}, "seeds": ["1"], "batches": []},
                    {"fingerprint": {}, "seeds": None, "batches": [], "x": 1},
                    {"fingerprint": {"a": "b"}, "seeds": None, "batches": [
                        {"keys": [], "extra": {"$dict": []}, "scores": [],
                         "n_fits": 0, "n_epochs": 0,
                         "segments": [{"$np": "O", "v": 1}]}]}):
        path.write_bytes(_checkpoint._dump(content))
        with pytest.raises(ValueError, match="not a valid search checkpoint"):
            read_checkpoint(str(path))


def test_plain_values_round_trip_exactly():
    values = [None, True, 0, -3, 2**70, 0.1, -0.0, float("nan"), float("inf"),
              "é", (1, (2.5, "a")), [1, [2]], {1: "a", "b": (None,)},
              np.float32(0.1), np.float64(1 / 3), np.int64(-7), np.bool_(True),
              np.str_("x"), np.arange(6, dtype=np.int32).reshape(2, 3)]
    for value in values:
        back = _checkpoint._decode(_checkpoint._encode(value))
        assert type(back) is type(value)
        if isinstance(value, np.ndarray):
            assert back.dtype == value.dtype
            np.testing.assert_array_equal(back, value)
        elif isinstance(value, float) and np.isnan(value):
            assert np.isnan(back)
        else:
            assert repr(back) == repr(value)


# ------------------------------------------------------- contention
def test_a_second_search_on_the_same_file_fails_clearly(helpers, tmp_path):
    reference = _reference(helpers, "genetic", "logistic")
    checkpoint, log = tmp_path / "search.ckpt", tmp_path / "run.log"
    child = _start_child(helpers, "genetic", "logistic", checkpoint, 1, log,
                         FAULT_PAUSE="0.1")
    lock = str(checkpoint) + ".lock"
    deadline = time.monotonic() + 60
    while not _stored_batches(checkpoint) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert os.path.exists(lock)
    other_log = tmp_path / "other.log"
    link = tmp_path / "link.ckpt"
    link.symlink_to(checkpoint)
    for path in (checkpoint, link):  # a link to the same file is the same file
        second = helpers.make("genetic", "logistic", path, log=str(other_log))
        with pytest.raises(RuntimeError, match=f"{path}.*in use by another search.*"
                           f"process {child.pid}"):
            second.fit(*helpers.data("logistic"))
    assert not other_log.exists()  # refused before fitting anything
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    # the first search was not disturbed
    resumed = helpers.make("genetic", "logistic", checkpoint, log=str(log))
    resumed.fit(*helpers.data("logistic"))
    _assert_same_results(resumed, reference)


def test_the_lock_is_released_after_a_failed_fit(helpers, tmp_path):
    path = tmp_path / "search.ckpt"
    search = helpers.make("genetic", "logistic", path, log=str(tmp_path / "log"))
    X, y = helpers.data("logistic")
    with pytest.raises(ValueError):
        search.fit(X, y[:-1])
    assert not os.path.exists(str(path) + ".lock")
    search.fit(X, y)  # not locked out by the failed fit


# ------------------------------------------------ paths and writing
def test_a_symlinked_checkpoint_stays_a_link(helpers, tmp_path):
    reference = _reference(helpers, "genetic", "logistic")
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "search.ckpt"
    link = tmp_path / "link.ckpt"
    link.symlink_to(target)
    log = str(tmp_path / "log")
    helpers.make("genetic", "logistic", link, log=log).fit(*helpers.data("logistic"))
    assert link.is_symlink() and target.is_file()
    restored = helpers.make("genetic", "logistic", target, log=log)
    _assert_same_results(restored.fit(*helpers.data("logistic")), reference)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="permissions do not bind the superuser")
def test_a_read_only_directory_fails_before_any_fit(helpers, tmp_path):
    directory = tmp_path / "ro"
    directory.mkdir()
    directory.chmod(0o500)
    log = tmp_path / "log"
    try:
        search = helpers.make("genetic", "logistic", directory / "s.ckpt", log=str(log))
        with pytest.raises(OSError, match="s.ckpt.*then fit again"):
            search.fit(*helpers.data("logistic"))
    finally:
        directory.chmod(0o700)
    assert not log.exists()


def _full_disk(monkeypatch, after=0):
    """Make every fsync after the first ``after`` ones fail as on a full disk."""
    calls = []
    real = os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) > after:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def test_a_full_disk_fails_before_any_fit(helpers, monkeypatch, tmp_path):
    path, log = tmp_path / "search.ckpt", tmp_path / "log"
    _full_disk(monkeypatch)
    search = helpers.make("genetic", "logistic", path, log=str(log))
    with pytest.raises(OSError, match="search.ckpt.*No space left") as info:
        search.fit(*helpers.data("logistic"))
    assert info.value.filename == str(path)
    assert not log.exists()
    assert os.listdir(tmp_path) == []  # no temporary or lock file left


def test_a_disk_that_fills_up_keeps_the_last_good_checkpoint(helpers, monkeypatch,
                                                            tmp_path):
    reference = _reference(helpers, "genetic", "logistic")
    path, log = tmp_path / "search.ckpt", tmp_path / "log"
    # the write check, the first batch (file + directory) go through
    _full_disk(monkeypatch, after=3)
    search = helpers.make("genetic", "logistic", path, log=str(log))
    with pytest.raises(OSError, match="search.ckpt.*No space left"):
        search.fit(*helpers.data("logistic"))
    monkeypatch.undo()
    assert len(_stored_batches(path)) == 1
    assert sorted(os.listdir(tmp_path)) == ["log", "search.ckpt"]
    resumed = helpers.make("genetic", "logistic", path, log=str(log))
    _assert_same_results(resumed.fit(*helpers.data("logistic")), reference)


def test_temporary_files_of_a_killed_writer_are_removed(helpers, tmp_path):
    path, log = tmp_path / "search.ckpt", tmp_path / "log"
    stale = [tmp_path / ".search.ckpt.k2j3.tmp", tmp_path / ".search.ckpt.x9.probe"]
    for p in stale:
        p.write_bytes(b"half-written")
    other = tmp_path / ".other.ckpt.k2j3.tmp"  # another checkpoint's: kept
    other.write_bytes(b"")
    helpers.make("genetic", "logistic", path, log=str(log)).fit(*helpers.data("logistic"))
    assert not any(p.exists() for p in stale)
    assert other.exists()
