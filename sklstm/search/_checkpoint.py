"""Checkpoints of a running search, and exact resume by replay.

Both searchers are deterministic given their seeds and the scores they are
told. A checkpoint therefore stores only

* a *fingerprint* of the search (estimator, search space, the parameters
  that shape the search, the training data), so that a checkpoint is never
  reused by a different search;
* the seeds the search drew (fresh ones when ``random_state=None``);
* every finished batch: the canonical keys it evaluated, their scores and
  the rows the search recorded for them (the per-split entries of each
  candidate and its extra columns).

Fitting again with the same checkpoint re-runs the proposal logic from the
start. A batch that matches the next stored one is not cross-validated: its
stored rows go to the search's result table as if they had just been
evaluated, and its stored scores go back to the searcher, which
then proposes exactly what it proposed the first time. The first batch that
is not stored is cross-validated for real, and from then on the search runs
as usual, writing the checkpoint after every batch.

The file
--------
Everything stored is plain data, written as JSON: a first line (the header)
names the format and version and holds the SHA-256 of the rest of the file,
the content. Nothing in the file is ever executed when it is read (it is not
a pickle), and a file whose content does not match its checksum (a flipped
bit, a truncated copy) is refused, naming the file, before any of it is
used. Values that JSON cannot hold as such (tuples, NaN, NumPy scalars and
arrays, dicts with other keys than strings) are written with a tag that
restores their type. A parameter value that is not plain data (an estimator
or a class among a categorical dimension's choices) is stored as a reference
to the candidate whose configuration produced it, and taken again from the
search space on resume.

The file is rewritten atomically after each batch (temporary file in the same
directory, ``fsync``, ``os.replace``): a process killed at any moment leaves
either the previous or the new checkpoint, never a torn one. A symbolic link
is followed, so the file it points to is updated and the link kept.

While a search runs it holds an exclusive lock on ``<file>.lock`` (an OS
lock, released by the operating system if the process dies), so a second
search given the same file fails at once instead of overwriting the first
one's results. Before the first fit, the directory is checked to be writable
by writing (and removing) a small file, so that a read-only directory or a
full disk shows up before any training, with the path in the message.
"""

import errno
import hashlib
import json
import math
import os
import socket
import tempfile
import warnings
from contextlib import contextmanager, suppress

import joblib
import numpy as np
from sklearn.base import clone

from ._results import Row
from ._space import _parse_search_spaces

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None
    import msvcrt

__all__ = []

_FORMAT = "sklstm-search-checkpoint"
_VERSION = 2

# Parameters that change how a search runs but not what it evaluates.
_EXECUTION_PARAMS = frozenset({
    "estimator", "search_spaces", "checkpoint", "n_jobs", "pre_dispatch",
    "verbose", "max_time", "callbacks", "refit",
})

_FIX = "Delete the file or choose another checkpoint path."


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


# ------------------------------------------------------------ plain data
class _Invalid(Exception):
    """Content that is not what a checkpoint holds (the message says what)."""


class _Unencodable(Exception):
    """A value that is not plain data."""


class _Ref:
    """Placeholder for a parameter value taken from the search space on resume:
    parameter ``name`` of the batch's candidate ``index``."""

    __slots__ = ("index", "name")

    def __init__(self, index, name):
        self.index = index
        self.name = name

    def __repr__(self):
        return f"<parameter {self.name!r} of candidate {self.index}>"


_NUMPY_KINDS = "biufU"  # NumPy dtypes a checkpoint may hold (never objects)


def _encode(value):
    """``value`` as JSON-ready data; tags keep what JSON cannot tell apart."""
    kind = type(value)
    if value is None or kind in (bool, str, int):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if kind is list:
        return [_encode(v) for v in value]
    if kind is tuple:
        return {"$tuple": [_encode(v) for v in value]}
    if kind is dict:
        return {"$dict": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if kind is _Ref:
        return {"$ref": [value.index, value.name]}
    if isinstance(value, np.generic) and value.dtype.kind in _NUMPY_KINDS:
        return {"$np": value.dtype.str, "v": _encode(value.item())}
    if isinstance(value, np.ndarray) and value.dtype.kind in _NUMPY_KINDS:
        return {"$nd": value.dtype.str, "shape": list(value.shape),
                "v": _encode(value.ravel().tolist())}
    raise _Unencodable(value)


def _numpy_dtype(text):
    try:
        dtype = np.dtype(text)
    except Exception:
        raise _Invalid(f"unknown NumPy dtype {text!r}") from None
    if not isinstance(text, str) or dtype.kind not in _NUMPY_KINDS:
        raise _Invalid(f"a NumPy dtype {text!r} that a checkpoint never holds")
    return dtype


class _Budget:
    """Bytes the NumPy values of a checkpoint may still take when decoded.

    A checkpoint of ``size`` bytes holds at most ``8 * size + 1 MiB`` of
    them (a value written as JSON takes at least a quarter of the bytes it
    takes in memory, plus room for string arrays wider than their items):
    a crafted ``{"$nd": "<U100000000", ...}`` of a few bytes is refused
    before NumPy allocates anything.
    """

    def __init__(self, size):
        self.left = 8 * size + 2**20

    def take(self, dtype, count):
        nbytes = dtype.itemsize * count
        if nbytes > self.left:
            raise _Invalid(
                f"an array of {count:,} values of dtype {dtype} ({nbytes:,} "
                "bytes), more than a checkpoint of this size holds"
            )
        self.left -= nbytes


def _decode(obj, budget=None):
    """Inverse of :func:`_encode`; raises :class:`_Invalid` on anything else.

    ``budget`` (a :class:`_Budget`) bounds the memory of NumPy values.
    """
    if obj is None or isinstance(obj, (bool, str, int, float)):
        return obj
    if budget is None:
        budget = _Budget(2**20)
    if isinstance(obj, list):
        return [_decode(v, budget) for v in obj]
    if not isinstance(obj, dict) or not obj:
        raise _Invalid(f"unexpected value {obj!r}")
    tag = next(iter(obj))
    if tag == "$float" and len(obj) == 1:
        if obj[tag] not in ("nan", "inf", "-inf"):
            raise _Invalid(f"unexpected float {obj[tag]!r}")
        return float(obj[tag])
    if tag == "$tuple" and len(obj) == 1 and isinstance(obj[tag], list):
        return tuple(_decode(v, budget) for v in obj[tag])
    if tag == "$dict" and len(obj) == 1 and isinstance(obj[tag], list):
        out = {}
        for pair in obj[tag]:
            if not isinstance(pair, list) or len(pair) != 2:
                raise _Invalid("a malformed dict")
            out[_decode(pair[0], budget)] = _decode(pair[1], budget)
        return out
    if tag == "$ref" and len(obj) == 1:
        ref = obj[tag]
        if (not isinstance(ref, list) or len(ref) != 2 or type(ref[0]) is not int
                or not isinstance(ref[1], str)):
            raise _Invalid("a malformed parameter reference")
        return _Ref(ref[0], ref[1])
    if tag == "$np" and set(obj) == {"$np", "v"}:
        dtype = _numpy_dtype(obj["$np"])
        value = _decode(obj["v"], budget)
        if not isinstance(value, (bool, int, float, str)):
            raise _Invalid("a malformed NumPy scalar")
        budget.take(dtype, 1)
        return np.array(value, dtype=dtype)[()]
    if tag == "$nd" and set(obj) == {"$nd", "shape", "v"}:
        dtype = _numpy_dtype(obj["$nd"])
        shape, values = obj["shape"], _decode(obj["v"], budget)
        if not isinstance(shape, list) or not all(type(n) is int and n >= 0
                                                  for n in shape):
            raise _Invalid("a malformed array shape")
        if not isinstance(values, list) or math.prod(shape) != len(values) or not all(
                isinstance(v, (bool, int, float, str)) for v in values):
            raise _Invalid("an array whose values do not fill its shape")
        budget.take(dtype, len(values))
        return np.array(values, dtype=dtype).reshape(shape)
    raise _Invalid(f"an unknown tag {tag!r}")


def _encode_params(params, keys, params_of, path):
    """A candidate's parameters, with references for values that are not data."""
    out = {}
    for name, value in params.items():
        try:
            out[name] = _encode(value)
            continue
        except _Unencodable:
            pass
        index = None
        if params_of is not None:
            index = next((i for i, key in enumerate(keys)
                          if params_of(key).get(name, _Ref) is value), None)
        if index is None:
            raise ValueError(
                f"The checkpoint {path!r} cannot store the value {value!r} of the "
                f"parameter {name!r}: it is neither plain data nor one of the "
                "choices of the search space. Run the search without a checkpoint."
            )
        out[name] = {"$ref": [index, name]}
    return {"$dict": [[name, value] for name, value in out.items()]}


def _resolve_params(params, keys, params_of):
    """Parameters of a stored segment with references taken from the search space."""
    resolved = []
    for candidate in params:
        if any(isinstance(v, _Ref) for v in candidate.values()):
            candidate = {
                name: params_of(keys[v.index])[v.name] if isinstance(v, _Ref) else v
                for name, v in candidate.items()
            }
        resolved.append(candidate)
    return resolved


# --------------------------------------------------------------- the file
def _write_error(path, exc, doing):
    """An OSError that names the checkpoint and says what to do."""
    reason = exc.strerror or str(exc)
    message = (
        f"Cannot {doing} the search checkpoint {path!r}: {reason}. Free disk "
        "space or fix the permissions of its directory (or choose another "
        "checkpoint path), then fit again"
    )
    if exc.errno is None:
        return OSError(message + ".")
    return OSError(exc.errno, message, path)


def _fsync_directory(directory):
    # make a rename durable where the platform allows it
    with suppress(OSError, AttributeError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _atomic_write(path, data):
    """Write ``data`` (bytes) to ``path`` so that a crash never leaves a torn file."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(
        prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _dump(content):
    """Header line + content: the bytes of a checkpoint file."""
    body = json.dumps(content, separators=(",", ":"), allow_nan=False).encode()
    header = json.dumps({
        "format": _FORMAT, "version": _VERSION,
        "sha256": hashlib.sha256(body).hexdigest(), "size": len(body),
    }, separators=(",", ":")).encode()
    return header + b"\n" + body


def _check_type(value, types, what):
    if not isinstance(value, types):
        raise _Invalid(f"{what} is not of the expected type")
    return value


def _parse_segment(segment):
    if not isinstance(segment, tuple) or not segment or segment[0] not in ("rows", "failed"):
        raise _Invalid("a stored batch holds a malformed segment")
    if len(segment) != 4:
        raise _Invalid("a stored batch holds a malformed segment")
    kind, params, third, fourth = segment
    if not isinstance(params, list) or not all(isinstance(p, dict) for p in params):
        raise _Invalid("a segment's parameters are malformed")
    if kind == "rows":
        if not isinstance(third, list) or not all(isinstance(e, dict) for e in third):
            raise _Invalid("a segment's rows are malformed")
        if not isinstance(fourth, dict) or not all(
                isinstance(v, list) for v in fourth.values()):
            raise _Invalid("a segment's extra columns are malformed")
    else:
        _check_type(third, dict, "a failed batch's extra columns")
        _check_type(fourth, str, "a failed batch's message")
    return segment


def _parse_content(content, size):
    """Fingerprint, seeds, batches and their JSON, from the file's JSON content."""
    if not isinstance(content, dict) or set(content) != {"fingerprint", "seeds", "batches"}:
        raise _Invalid("the content is not that of a checkpoint")
    fingerprint = content["fingerprint"]
    if not isinstance(fingerprint, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in fingerprint.items()):
        raise _Invalid("the fingerprint is malformed")
    seeds = content["seeds"]
    if seeds is not None and (not isinstance(seeds, list) or not all(
            type(s) is int for s in seeds)):
        raise _Invalid("the seeds are malformed")
    batches, raws = [], []
    budget = _Budget(size)
    fields = {"keys", "extra", "scores", "segments", "n_fits", "n_epochs"}
    _check_type(content["batches"], list, "the list of batches")
    for raw in content["batches"]:
        if not isinstance(raw, dict) or set(raw) != fields:
            raise _Invalid("a stored batch is malformed")
        batch = {name: _decode(raw[name], budget) for name in fields}
        raws.append(raw)
        keys = _check_type(batch["keys"], list, "a batch's keys")
        if not all(isinstance(k, tuple) for k in keys):
            raise _Invalid("a batch's keys are malformed")
        _check_type(batch["extra"], dict, "a batch's extra columns")
        scores = _check_type(batch["scores"], list, "a batch's scores")
        if len(scores) != len(keys):
            raise _Invalid("a batch has not one score per candidate")
        for name in ("n_fits", "n_epochs"):
            if type(batch[name]) is not int or batch[name] < 0:
                raise _Invalid(f"a batch's {name} is malformed")
        segments = [_parse_segment(s) for s in
                    _check_type(batch["segments"], list, "a batch's segments")]
        batches.append(_StoredBatch(keys, batch["extra"], scores, segments,
                                    batch["n_fits"], batch["n_epochs"]))
    return fingerprint, seeds, batches, raws


def read_checkpoint(path, shown=None):
    """Fingerprint, seeds, batches (and their JSON) stored in the file ``path``.

    Raises a ``ValueError`` naming the file (``shown``, default ``path``)
    when it is not a checkpoint of this format, is damaged (its content does
    not match its checksum) or holds anything a checkpoint never holds.
    Nothing in the file is executed.
    """
    shown = path if shown is None else shown
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise ValueError(
            f"The checkpoint {shown!r} cannot be read ({exc}). {_FIX}"
        ) from exc
    return _parse_file(data, shown)


def _parse_file(data, shown):
    """:func:`read_checkpoint` on the bytes ``data`` of the file ``shown``."""
    if data[:1] == b"\x80":
        raise ValueError(
            f"{shown!r} is not a search checkpoint of this version of sklstm: it "
            "looks like a pickle (the format of earlier sklstm checkpoints), "
            "which is never loaded because unpickling can run code. " + _FIX
        )
    head, newline, body = data.partition(b"\n")
    try:
        header = json.loads(head) if newline else None
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != _FORMAT:
        raise ValueError(
            f"The checkpoint {shown!r} cannot be read: it is not a search "
            f"checkpoint, or its first line is damaged. {_FIX}"
        )
    if header.get("version") != _VERSION:
        raise ValueError(
            f"The checkpoint {shown!r} was written by another version of sklstm "
            f"(format {header.get('version')!r}, expected {_VERSION}). {_FIX}"
        )
    if (hashlib.sha256(body).hexdigest() != header.get("sha256")
            or len(body) != header.get("size")):
        raise ValueError(
            f"The checkpoint {shown!r} is damaged: its content does not match "
            f"its checksum (the file was changed, cut short or not fully "
            f"copied), so none of it is used. {_FIX}"
        )
    try:
        return _parse_content(json.loads(body), len(body))
    except (_Invalid, ValueError, RecursionError, TypeError, OverflowError,
            MemoryError) as exc:
        raise ValueError(
            f"The checkpoint {shown!r} is not a valid search checkpoint ({exc}), "
            f"though its checksum matches. {_FIX}"
        ) from None


class _FileLock:
    """An exclusive, non-blocking OS lock on ``<path>.lock`` for one search.

    The operating system releases it when the process ends, however it ends,
    so a killed search never leaves a stale lock behind. The lock file holds
    the process id of its holder, for the error message; it is removed on
    release.
    """

    def __init__(self, path, shown):
        self.path = path + ".lock"
        self.shown = shown
        self.fd = None

    def _try_lock(self, fd):
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # pragma: no cover - Windows
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def acquire(self):
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise _write_error(self.shown, exc, "create the lock file of") from exc
            try:
                self._try_lock(fd)
            except OSError as exc:
                holder = ""
                with suppress(OSError, UnicodeDecodeError):
                    holder = os.read(fd, 200).decode().strip()
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise _write_error(self.shown, exc, "lock") from exc
                raise RuntimeError(
                    f"The checkpoint {self.shown!r} is in use by another search "
                    f"(the lock {self.path!r} is held"
                    + (f" by process {holder}" if holder else "") + "). Two "
                    "searches cannot share a checkpoint file: wait until the "
                    "other search ends, or give this one another checkpoint path."
                ) from None
            # a holder that released in between removed the file we locked
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except OSError:
                same = False
            if same:
                break
            os.close(fd)
        with suppress(OSError):
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()} on {socket.gethostname()}\n".encode())
        self.fd = fd

    def release(self):
        if self.fd is None:
            return
        with suppress(OSError):
            os.unlink(self.path)
        os.close(self.fd)
        self.fd = None


def _remove_leftovers(real):
    """Remove temporary files of a writer that was killed (the lock is ours)."""
    directory, name = os.path.split(real)
    with suppress(OSError):
        for entry in os.listdir(directory):
            if entry.startswith("." + name + ".") and entry.endswith((".tmp", ".probe")):
                with suppress(OSError):
                    os.unlink(os.path.join(directory, entry))


def _probe_writable(real, shown):
    """Write and remove a small file beside the checkpoint, before any fit."""
    directory = os.path.dirname(real)
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(real) + ".",
                                   suffix=".probe", dir=directory)
    except OSError as exc:
        raise _write_error(shown, exc, "write") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(b"\0" * 4096)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        raise _write_error(shown, exc, "write") from exc
    finally:
        with suppress(OSError):
            os.unlink(tmp)


class _StoredBatch:
    """One finished batch: keys, extra columns, scores and recorded rows.

    ``segments`` is a list, in recording order, of ``("rows", params, out,
    more)``: candidates, their per-split entries (``n_splits`` per
    candidate, one after the other) and their extra columns (one value per
    candidate). Files written by earlier versions may also hold ``("failed",
    params, extra, message)``: candidates of a batch in which every fit
    failed, with their extra columns and the error. Parameter values that are
    not plain data are :class:`_Ref` placeholders until :func:`stored_rows`
    resolves them.
    """

    __slots__ = ("keys", "extra", "scores", "segments", "n_fits", "n_epochs")

    def __init__(self, keys, extra, scores, segments, n_fits, n_epochs=0):
        self.keys = keys
        self.extra = extra
        self.scores = scores
        self.segments = segments
        self.n_fits = n_fits
        self.n_epochs = n_epochs  # epochs trained by a multi-fidelity batch

    def to_json(self, params_of, path):
        segments = []
        for segment in self.segments:
            kind, params, third, fourth = segment
            encoded = [_encode_params(p, self.keys, params_of, path) for p in params]
            try:
                segments.append({"$tuple": [kind, encoded, _encode(third),
                                            _encode(fourth)]})
            except _Unencodable as exc:
                raise ValueError(
                    f"The checkpoint {path!r} cannot store the value "
                    f"{exc.args[0]!r} that the search recorded for this batch: "
                    "it is not plain data. Run the search without a checkpoint."
                ) from None
        return {
            "keys": _encode(list(self.keys)), "extra": _encode(dict(self.extra)),
            "scores": _encode(list(self.scores)), "segments": segments,
            "n_fits": int(self.n_fits), "n_epochs": int(self.n_epochs),
        }


class SearchCheckpoint:
    """The checkpoint file of one search ``fit``.

    Parameters
    ----------
    path : str or os.PathLike
        Where the checkpoint lives (a symbolic link is followed).
    fingerprint : dict
        What the stored search must agree on (see :func:`_fingerprint`).
    """

    def __init__(self, path, fingerprint):
        self.path = os.fspath(path)
        self.real_path = os.path.realpath(self.path)
        self.fingerprint = fingerprint
        self.seeds = None
        self.batches = []
        self.encoded = []  # the JSON of each stored batch, encoded once
        self.position = 0  # next stored batch to replay
        self.n_replayed = 0  # candidates taken from the checkpoint
        self.lock = None

    @classmethod
    def open(cls, path, fingerprint):
        """Lock and load ``path``, refusing one written by another search.

        The lock is held until :meth:`close`; before returning, the directory
        is checked to be writable.
        """
        checkpoint = cls(path, fingerprint)
        directory = os.path.dirname(checkpoint.real_path)
        if not os.path.isdir(directory):
            raise ValueError(
                f"The directory of the checkpoint {checkpoint.path!r} does not "
                "exist; create it or choose another checkpoint path."
            )
        checkpoint.lock = _FileLock(checkpoint.real_path, checkpoint.path)
        checkpoint.lock.acquire()
        try:
            _remove_leftovers(checkpoint.real_path)
            checkpoint._load()
            _probe_writable(checkpoint.real_path, checkpoint.path)
        except BaseException:
            checkpoint.close()
            raise
        return checkpoint

    def _load(self):
        if not os.path.lexists(self.real_path):
            return
        if os.path.isdir(self.real_path):
            raise ValueError(f"The checkpoint {self.path!r} is a directory. {_FIX}")
        stored, seeds, batches, raws = read_checkpoint(self.real_path, self.path)
        differ = [
            name for name in sorted(set(stored) | set(self.fingerprint))
            if stored.get(name) != self.fingerprint.get(name)
        ]
        if differ:
            raise ValueError(
                f"The checkpoint {self.path!r} was written by a different "
                f"search: {', '.join(differ)} differ. A checkpoint resumes only the "
                "search that wrote it; delete the file or choose another checkpoint "
                "path to start a new search."
            )
        self.seeds = seeds
        self.batches = batches
        self.encoded = raws

    def close(self):
        """Release the lock."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    @property
    def replaying(self):
        return self.position < len(self.batches)

    def save(self, params_of=None):
        """Rewrite the file with every stored batch."""
        for i, batch in enumerate(self.batches):
            if self.encoded[i] is None:
                self.encoded[i] = batch.to_json(params_of, self.path)
        data = _dump({
            "fingerprint": self.fingerprint,
            "seeds": self.seeds,
            "batches": self.encoded,
        })
        try:
            _atomic_write(self.real_path, data)
        except OSError as exc:
            raise _write_error(self.path, exc, "write") from exc

    def take_seeds(self, drawn):
        """The stored seeds of the search, or ``drawn`` (then stored)."""
        if self.seeds is None:
            self.seeds = [int(s) for s in drawn]
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
        del self.encoded[self.position:]
        return None

    def record(self, keys, extra, scores, rows, n_fits, n_epochs=0,
               params_of=None):
        """Store a finished batch (its :class:`~._results.Row` list) and
        rewrite the file.

        ``params_of`` maps a key to its parameters; parameter values that are
        not plain data are stored as references to it.
        """
        segments = [_rows_segment(rows)] if rows else []
        self.batches.append(
            _StoredBatch(list(keys), dict(extra), list(scores), segments, n_fits,
                         n_epochs)
        )
        self.encoded.append(None)
        self.position = len(self.batches)
        self.save(params_of)


# ------------------------------------------------------------ fit plumbing
@contextmanager
def checkpoint_context(search, X, y, fit_params):
    """The search's checkpoint (None without one), open for one fit."""
    if getattr(search, "checkpoint", None) is None:
        yield None
        return
    checkpoint = SearchCheckpoint.open(
        search.checkpoint, _fingerprint(search, X, y, fit_params)
    )
    try:
        yield checkpoint
    finally:
        checkpoint.close()


def _rows_segment(rows):
    """The stored form of a batch's rows: one ``"rows"`` segment."""
    names = {}
    for row in rows:
        for name in row.extra:
            names.setdefault(name, None)
    return ("rows", [row.params for row in rows],
            [entry for row in rows for entry in row.entries],
            {name: [row.extra.get(name) for row in rows] for name in names})


def stored_rows(batch, params_of, n_splits, failed_entries):
    """The rows of a stored batch, with parameter references resolved.

    ``params_of`` maps a key to its parameters (for the references);
    ``failed_entries(message)`` gives the entries of a candidate whose fits
    all failed, for the ``"failed"`` segments of older files.
    """
    rows = []
    for segment in batch.segments:
        params = _resolve_params(segment[1], batch.keys, params_of)
        if segment[0] == "rows":
            _, _, out, more = segment
            if len(out) != len(params) * n_splits:
                raise ValueError(
                    "The checkpoint holds rows of a search with another number "
                    "of cross-validation splits; delete it or choose another "
                    "checkpoint path."
                )
            for i, candidate in enumerate(params):
                rows.append(Row(
                    candidate, out[i * n_splits:(i + 1) * n_splits],
                    {name: values[i] for name, values in more.items()},
                ))
        else:
            _, _, extra, message = segment
            rows.extend(Row(candidate, failed_entries(message), extra)
                        for candidate in params)
    return rows
