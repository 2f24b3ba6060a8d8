"""Checkpoints of a running search, and exact resume by replay.

Both searchers are deterministic given their seeds and the scores they are
told. A checkpoint therefore stores only

* a *fingerprint* of the search (estimator, search space, the parameters
  that shape the search, the training data), so that a checkpoint is never
  reused by a different search;
* the seeds the search drew (fresh ones when ``random_state=None``);
* every finished batch: the canonical keys it evaluated, their scores and
  the rows scikit-learn recorded for them (the outputs of
  ``_fit_and_score`` for each candidate and split, the extra columns, and
  batches in which every fit failed).

Fitting again with the same checkpoint re-runs the proposal logic from the
start. A batch that matches the next stored one is not cross-validated: its
stored rows are spliced into ``cv_results_`` (the mechanism that already
records failed batches) and its stored scores go back to the searcher, which
then proposes exactly what it proposed the first time. The first batch that
is not stored is cross-validated for real, and from then on the search runs
as usual, writing the checkpoint after every batch.

The file is rewritten atomically after each batch (temporary file in the same
directory, ``fsync``, ``os.replace``): a process killed at any moment leaves
either the previous or the new checkpoint, never a torn one.
"""

import contextvars
import os
import pickle
import tempfile
import warnings
from contextlib import contextmanager, suppress

import joblib
from sklearn.base import clone

from ._fit_state import RESULT_CELLS, append_results, closure_cells
from ._space import _parse_search_spaces

__all__ = []

_FORMAT = "sklstm-search-checkpoint"
_VERSION = 1

# Parameters that change how a search runs but not what it evaluates.
_EXECUTION_PARAMS = frozenset({
    "estimator", "search_spaces", "checkpoint", "n_jobs", "pre_dispatch",
    "verbose", "max_time", "callbacks", "refit",
})

# (search, checkpoint) of the fit running in this thread / task
_ACTIVE = contextvars.ContextVar("sklstm_search_checkpoint", default=None)


def _hash(value):
    """A stable hash of ``value``; its ``repr`` where it cannot be pickled."""
    try:
        return joblib.hash(value)
    except Exception:  # pragma: no cover - unpicklable user objects
        return "repr:" + repr(value)


def _fingerprint(search, X, y, fit_params):
    """What a checkpoint must agree on, as ``{description: hash}``."""
    try:
        estimator = clone(search.estimator)
    except Exception:  # pragma: no cover - non-cloneable estimator
        estimator = search.estimator
    parts = {
        "searcher": type(search).__name__,
        "the estimator and its parameters": _hash(estimator),
        "the search space (search_spaces)": _hash([
            [d.__getstate__() for d in sub.dimensions]
            for sub in _parse_search_spaces(search.search_spaces, search.estimator)
        ]),
        "the training data (X, y or fit parameters)": _hash((X, y, fit_params)),
    }
    for name, value in sorted(search.get_params(deep=False).items()):
        if name not in _EXECUTION_PARAMS:
            parts[f"the parameter {name}"] = _hash(value)
    return parts


def _atomic_write(path, payload):
    """Pickle ``payload`` to ``path`` so that a crash never leaves a torn file."""
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(
        prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    # make the rename itself durable where the platform allows it
    with suppress(OSError, AttributeError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class _StoredBatch:
    """One finished batch: keys, extra columns, scores and recorded rows.

    ``segments`` is a list, in the order scikit-learn recorded them, of
    ``("rows", params, out, more)`` (candidates scikit-learn recorded: their
    ``_fit_and_score`` outputs, ``n_splits`` per candidate, and extra columns)
    and ``("failed", params, extra, message)`` (a batch in which every fit
    failed).
    """

    __slots__ = ("keys", "extra", "scores", "segments", "n_fits", "n_epochs")

    def __init__(self, keys, extra, scores, segments, n_fits, n_epochs=0):
        self.keys = keys
        self.extra = extra
        self.scores = scores
        self.segments = segments
        self.n_fits = n_fits
        self.n_epochs = n_epochs  # epochs trained by a multi-fidelity batch

    def __getstate__(self):
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state):
        for name in self.__slots__:
            setattr(self, name, state.get(name, 0))


class SearchCheckpoint:
    """The checkpoint file of one search ``fit``.

    Parameters
    ----------
    path : str or os.PathLike
        Where the checkpoint lives.
    fingerprint : dict
        What the stored search must agree on (see :func:`_fingerprint`).
    """

    def __init__(self, path, fingerprint):
        self.path = os.fspath(path)
        self.fingerprint = fingerprint
        self.seeds = None
        self.batches = []
        self.position = 0  # next stored batch to replay
        self.n_replayed = 0  # candidates taken from the checkpoint

    @classmethod
    def open(cls, path, fingerprint):
        """Load ``path`` if it exists, refusing one written by another search."""
        checkpoint = cls(path, fingerprint)
        if not os.path.exists(checkpoint.path):
            directory = os.path.dirname(os.path.abspath(checkpoint.path))
            if not os.path.isdir(directory):
                raise ValueError(
                    f"The directory of the checkpoint {checkpoint.path!r} does not "
                    "exist; create it or choose another checkpoint path."
                )
            return checkpoint
        try:
            with open(checkpoint.path, "rb") as f:
                payload = pickle.load(f)
            ok = isinstance(payload, dict) and payload.get("format") == _FORMAT
        except Exception as exc:
            raise ValueError(
                f"The checkpoint {checkpoint.path!r} cannot be read ({exc}). Delete "
                "the file or choose another checkpoint path."
            ) from exc
        if not ok:
            raise ValueError(
                f"{checkpoint.path!r} is not a search checkpoint. Delete the file or "
                "choose another checkpoint path."
            )
        if payload.get("version") != _VERSION:
            raise ValueError(
                f"The checkpoint {checkpoint.path!r} was written by another version "
                f"of sklstm (format {payload.get('version')}, expected {_VERSION}). "
                "Delete the file or choose another checkpoint path."
            )
        stored = payload["fingerprint"]
        differ = [
            name for name in sorted(set(stored) | set(fingerprint))
            if stored.get(name) != fingerprint.get(name)
        ]
        if differ:
            raise ValueError(
                f"The checkpoint {checkpoint.path!r} was written by a different "
                f"search: {', '.join(differ)} differ. A checkpoint resumes only the "
                "search that wrote it; delete the file or choose another checkpoint "
                "path to start a new search."
            )
        checkpoint.seeds = list(payload["seeds"])
        checkpoint.batches = list(payload["batches"])
        return checkpoint

    @property
    def replaying(self):
        return self.position < len(self.batches)

    def save(self):
        _atomic_write(self.path, {
            "format": _FORMAT,
            "version": _VERSION,
            "fingerprint": self.fingerprint,
            "seeds": self.seeds,
            "batches": self.batches,
        })

    def take_seeds(self, drawn):
        """The stored seeds of the search, or ``drawn`` (then stored)."""
        if self.seeds is None:
            self.seeds = list(drawn)
            return list(drawn)
        if len(self.seeds) != len(drawn):  # pragma: no cover - fingerprinted
            raise ValueError(
                f"The checkpoint {self.path!r} holds {len(self.seeds)} seeds, the "
                f"search needs {len(drawn)}. Delete the file or choose another path."
            )
        return list(self.seeds)

    def next_batch(self, keys, extra):
        """The stored batch matching ``keys`` and ``extra``, or None."""
        if not self.replaying:
            return None
        batch = self.batches[self.position]
        if batch.keys == list(keys) and batch.extra == dict(extra):
            self.position += 1
            self.n_replayed += len(keys)
            return batch
        warnings.warn(
            f"The search diverged from its checkpoint {self.path!r} after "
            f"{self.position} of {len(self.batches)} stored batches (a time budget "
            "or a callback can do this); the remaining stored batches are "
            "discarded and the search goes on from here.",
            UserWarning,
        )
        del self.batches[self.position:]
        return None

    def record(self, keys, extra, scores, segments, n_fits, n_epochs=0):
        """Store a finished batch and rewrite the file."""
        self.batches.append(
            _StoredBatch(list(keys), dict(extra), list(scores), segments, n_fits,
                         n_epochs)
        )
        self.position = len(self.batches)
        self.save()


# ------------------------------------------------------------ fit plumbing
@contextmanager
def checkpoint_context(search, X, y, fit_params):
    """Open the search's checkpoint (if any) for the duration of one fit."""
    if getattr(search, "checkpoint", None) is None:
        yield None
        return
    checkpoint = SearchCheckpoint.open(
        search.checkpoint, _fingerprint(search, X, y, fit_params)
    )
    token = _ACTIVE.set((search, checkpoint))
    try:
        yield checkpoint
    finally:
        _ACTIVE.reset(token)


def active_checkpoint(search):
    """The checkpoint of ``search``'s running fit, or None."""
    active = _ACTIVE.get()
    if active is None or active[0] is not search:
        return None
    return active[1]


def search_seeds(search, drawn):
    """Seeds for the search: the checkpoint's on resume, else ``drawn``."""
    checkpoint = active_checkpoint(search)
    if checkpoint is None:
        return drawn
    return checkpoint.take_seeds(drawn)


# ------------------------------------------------- hooks of _SearchRun
def recorded_since(run, n_recorded, n_spliced):
    """Rows recorded since ``run`` had ``n_recorded`` rows and ``n_spliced`` batches.

    Returns the segments of a :class:`_StoredBatch`, in recording order.
    """
    segments = []
    position = n_recorded
    if run.last_format_args is not None:
        params, n_splits, out, more = run.last_format_args
    else:
        params, n_splits, out, more = [], 1, [], {}
    more = more or {}

    def rows(start, stop):
        return ("rows", list(params[start:stop]),
                list(out[start * n_splits:stop * n_splits]),
                {name: list(values[start:stop]) for name, values in more.items()})

    for batch in run.failed_batches[n_spliced:]:
        if batch.n_before > position:
            segments.append(rows(position, batch.n_before))
            position = batch.n_before
        segments.append(("failed", list(batch.params), dict(batch.extra), batch.message))
    if run.n_recorded > position:
        segments.append(rows(position, run.n_recorded))
    return segments


def replay(run, batch):
    """Give ``run`` the rows and scores of a stored batch, fitting nothing."""
    from ._common import _FailedBatch

    for segment in batch.segments:
        if segment[0] == "rows":
            _, params, out, more = segment
            run.failed_batches.append(
                _FailedBatch(run.n_recorded, params, {}, None, out=out, more=more)
            )
        else:
            _, params, extra, message = segment
            run.failed_batches.append(_FailedBatch(run.n_recorded, params, extra, message))
    run.n_fits += batch.n_fits
    if run.fidelity is not None:
        run.fidelity.n_epochs += batch.n_epochs
    return list(batch.scores)


def publish_replayed(run):
    """Hand replayed rows to scikit-learn when no batch was fitted for real.

    scikit-learn keeps the rows of a search in lists local to ``fit`` that only
    ``evaluate_candidates`` fills; a search restored entirely from its
    checkpoint never calls it. The rows are put into those lists here, and the
    formatted results into the variable ``fit`` reads them from.
    """
    cells, missing = closure_cells(run.evaluate_candidates, RESULT_CELLS)
    if missing:  # pragma: no cover
        raise RuntimeError(
            "This version of scikit-learn does not let a search restored entirely "
            f"from its checkpoint {run.checkpoint.path!r} publish its results; "
            "delete the checkpoint to run the search again."
        )
    params, out, more = run.splice([], run.search.n_splits_, [], {})
    run.failed_batches.clear()
    append_results(run.search, cells, params, out, more)
