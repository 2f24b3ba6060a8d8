"""Send the training data to Dask workers once per search, not once per batch.

joblib's Dask backend scatters large arguments of the tasks it submits, but
it forgets them at the end of every ``Parallel`` call: a search that runs one
call per batch (every sequential searcher) would send ``X`` and ``y`` to the
cluster again for every batch. The backend also keeps a second, lasting map
of already-scattered objects (filled by its ``scatter=`` option) that it looks
up by object identity before scattering anything. While a search runs under
the Dask backend, :func:`scatter_once` broadcasts ``X`` and ``y`` to every
worker once and registers them in that map, so every batch reuses the same
futures; they are released when the search ends.

joblib's Ray backend (``ray.util.joblib``) pickles every task with its
arguments, so ``X`` and ``y`` would go into Ray's object store again with
every task. Under that backend :func:`put_once` puts them there once per
search and the tasks carry small references (:class:`RayData`) instead, which
:func:`resolve` turns back into the data in the worker (for NumPy arrays a
read-only view of the shared object store, not a copy).

Scattered data lives only in the workers' memory: if every worker that holds
it dies, Dask cannot recompute it, and the next batch fails with a bare
``FutureCancelledError`` ("... already forgotten"). :func:`scatter_once`
turns that into an error that says which data was lost and why.
"""

from concurrent.futures import CancelledError
from contextlib import contextmanager, suppress

import joblib

__all__ = []


def _dask_backend():
    """The active joblib backend if it is Dask's, else None."""
    try:
        backend, _ = joblib.parallel.get_active_backend()
    except Exception:  # pragma: no cover - joblib internals
        return None
    if type(backend).__name__ != "DaskDistributedBackend":
        return None
    if not hasattr(backend, "data_futures") or not hasattr(backend, "client"):
        return None  # pragma: no cover - a joblib without the lasting map
    return backend


@contextmanager
def scatter_once(*arrays):
    """Broadcast ``arrays`` to the Dask workers for the duration of a search.

    Does nothing unless the active joblib backend is Dask's. ``None`` entries
    and objects the backend already holds (passed through its ``scatter=``
    option) are skipped.
    """
    backend = _dask_backend()
    if backend is None:
        yield
        return
    items = [
        a for a in arrays
        if a is not None and id(a) not in backend.data_futures
    ]
    # identical objects are sent once
    items = list({id(a): a for a in items}.values())
    if not items:
        yield
        return
    futures = backend.client.scatter(items, broadcast=True, hash=False)
    keep = getattr(backend, "_scatter", None)
    for item, future in zip(items, futures):
        backend.data_futures[id(item)] = future
        if keep is not None:  # the backend keeps its objects alive (ids stay valid)
            keep.append(item)
    try:
        yield
    except CancelledError as exc:
        lost = [f for f in futures if getattr(f, "status", "finished") != "finished"]
        if not lost:
            raise
        raise RuntimeError(_lost_message(backend.client, exc)) from exc
    finally:
        for item in items:
            backend.data_futures.pop(id(item), None)
        if keep is not None:
            keep[:] = [k for k in keep if all(k is not item for item in items)]
        with suppress(Exception):
            backend.client.cancel(futures)


def _lost_message(client, exc):
    """What to say when the data of :func:`scatter_once` is gone."""
    try:
        n_workers = len(client.scheduler_info()["workers"])
    except Exception:  # noqa: BLE001 - the scheduler itself may be gone
        n_workers = None
    remain = ("no worker is left" if n_workers == 0 else
              "the number of workers left is unknown" if n_workers is None else
              f"{n_workers} worker(s) are up now, none of them holding it")
    return (
        "The Dask cluster lost the training data (X and y) that this search "
        "had sent to its workers: every worker that held it died or left, and "
        f"Dask cannot recompute data sent from here ({remain}; Dask said: "
        f"{exc}). Check the workers' logs (a worker that exceeds its memory "
        "limit is killed), keep the workers up during the search, and fit "
        "again; with checkpoint= the search resumes after its last finished "
        "batch."
    )


def _ray_backend_active():
    """Whether the active joblib backend is Ray's."""
    try:
        backend, _ = joblib.parallel.get_active_backend()
    except Exception:  # pragma: no cover - joblib internals
        return False
    return type(backend).__name__ == "RayBackend"


class RayData:
    """A reference to data that a search put in Ray's object store once."""

    __slots__ = ("ref",)

    def __init__(self, ref):
        self.ref = ref

    def __getstate__(self):
        return {"ref": self.ref}

    def __setstate__(self, state):
        self.ref = state["ref"]


def resolve(value):
    """The data behind a :class:`RayData` reference; anything else unchanged."""
    if isinstance(value, RayData):
        import ray

        return ray.get(value.ref)
    return value


@contextmanager
def put_once(*arrays):
    """Yield what the tasks of a search should receive in place of ``arrays``.

    Under joblib's Ray backend each array (not None) is put in Ray's object
    store once and replaced by a :class:`RayData` reference, released when
    the search ends; under any other backend the arrays themselves.
    """
    if not _ray_backend_active():
        yield arrays
        return
    import ray

    shipped = tuple(None if a is None else RayData(ray.put(a)) for a in arrays)
    try:
        yield shipped
    finally:
        # dropping the last references frees the objects in the store
        del shipped
