"""Hostile model files and checkpoints: each is refused, within a memory bound.

Every crafted file here ends in a ``FormatError`` (model files) or a
``ValueError`` (search checkpoints) that names the file. The memory each
refusal takes is measured with ``tracemalloc`` (Python's and NumPy's
allocations) and must stay under twice the limit the load runs with; one
test loads them all in a child process and bounds the growth of its peak
resident memory (``ru_maxrss``, which also sees torch's allocations).
"""

import bz2
import gc
import io
import json
import lzma
import os
import struct
import subprocess
import sys
import textwrap
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
import skorch
from skopt.space import Real

from sklstm import BayesSearchCV, LSTMClassifier
from sklstm.persistence import DEFAULT_LIMITS, FormatError, load, save
from sklstm.preprocessing import SequenceScaler
from sklstm.search import _checkpoint
from sklstm.search._checkpoint import read_checkpoint

TINY = dict(hidden_size=4, conv_filters=0, max_epochs=1, batch_size=8, random_state=0)

#: the limit the crafted model files are loaded with, and the memory bound
#: (twice the limit) their refusal must stay under
LIMIT = 2**20
LOW = {"total_size": LIMIT, "array_size": LIMIT, "document_size": LIMIT}
BOUND = 2 * LIMIT

#: what a bomb expands to: sixteen times the limit
BOMB = 16 * LIMIT


def make_3d(n=16, t=5, f=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, t, f)).astype(np.float32)
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    return X, y


def parts_of(path):
    with zipfile.ZipFile(path) as archive:
        return [(name, archive.read(name)) for name in archive.namelist()]


def write_zip(path, parts, compression=zipfile.ZIP_DEFLATED):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of duplicate names
        with zipfile.ZipFile(path, "w", compression=compression) as archive:
            for name, data in parts:
                archive.writestr(name, data)
    return path


def with_document(parts, doc):
    return [("model.json", json.dumps(doc).encode())] + [
        (n, d) for n, d in parts if n != "model.json"]


@pytest.fixture(scope="module")
def scaler_parts(tmp_path_factory):
    path = tmp_path_factory.mktemp("scaler") / "scaler.sklstm"
    save(SequenceScaler().fit(make_3d()[0]), path)
    load(path)  # imports and caches what a load needs, before any measurement
    return parts_of(path)


@pytest.fixture(scope="module")
def lstm_parts(tmp_path_factory):
    path = tmp_path_factory.mktemp("lstm") / "lstm.sklstm"
    save(LSTMClassifier(**TINY).fit(*make_3d()), path)
    load(path)
    return parts_of(path)


def document(parts):
    return json.loads(dict(parts)["model.json"])


def refused(path, match, bound=BOUND, error=FormatError, **kwargs):
    """``load(path)`` raises ``error`` matching ``match`` and naming the file,
    with at most ``bound`` bytes of traced memory at its peak."""
    gc.collect()
    tracemalloc.start()
    try:
        with pytest.raises(error, match=match) as info:
            load(path, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert os.fspath(path) in str(info.value)
    assert peak < bound, f"refusing {path.name} took {peak:,} bytes at its peak"
    return info.value


# ------------------------------------------------------ compression methods
@pytest.mark.parametrize("method, name", [(zipfile.ZIP_BZIP2, "bzip2"),
                                          (zipfile.ZIP_LZMA, "LZMA")])
def test_bzip2_and_lzma_parts_are_refused(scaler_parts, tmp_path, method, name):
    # a file save could have written, but compressed with another method
    path = write_zip(tmp_path / "other.sklstm", scaler_parts, method)
    refused(path, f"compressed with {name}")
    # a bomb: a few hundred bytes that expand to sixteen times the limit; it
    # is the method that is refused, whatever the limits
    compress = bz2.compress if name == "bzip2" else lzma.compress
    assert len(compress(bytes(BOMB))) < 4000
    bomb = write_zip(tmp_path / "bomb.sklstm", scaler_parts + [
        ("arrays/99.npy", bytes(BOMB))], method)
    refused(bomb, f"compressed with {name}",
            limits={"total_size": 2**40, "array_size": 2**40})


def test_a_deflate_bomb_over_the_limits_is_refused_before_reading(scaler_parts,
                                                                  tmp_path):
    doc = document(scaler_parts)
    # an array part of zeros, a document padded with spaces
    array = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        array, {"descr": "|u1", "fortran_order": False, "shape": (BOMB,)})
    array.write(bytes(BOMB))
    doc["object"]["state"]["extra_"] = {"$array": "arrays/99.npy"}
    path = write_zip(tmp_path / "array.sklstm", with_document(scaler_parts, doc) + [
        ("arrays/99.npy", array.getvalue())])
    assert path.stat().st_size < BOMB / 500  # deflate packs it about 1000x
    refused(path, "declares its part 'arrays/99.npy' as 16,777,", limits=LOW)
    refused(path, "declares parts of", limits={**LOW, "array_size": 2 * BOMB})

    padded = json.dumps(document(scaler_parts)).encode() + b" " * BOMB
    path = write_zip(tmp_path / "document.sklstm",
                     [("model.json", padded)] + scaler_parts[1:])
    refused(path, "declares its part 'model.json'", limits=LOW)
    refused(path, "declares its part 'model.json'")  # over the default, too
    # a raised limit takes such a file, which loads
    assert type(load(path, limits={"document_size": 2 * BOMB})) is SequenceScaler


def test_a_documents_parsed_memory_stays_within_the_stated_factor(scaler_parts,
                                                                   tmp_path):
    # the worst case of JSON: tiny containers, each a Python object of its own
    doc = document(scaler_parts)
    doc["object"]["state"]["extra_"] = [[]] * (LIMIT // 3)
    text = json.dumps(doc, separators=(",", ":")).encode()
    path = write_zip(tmp_path / "lists.sklstm", [("model.json", text)] + scaler_parts[1:])
    gc.collect()
    tracemalloc.start()
    try:
        loaded = load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(loaded.extra_) == LIMIT // 3
    assert peak < 50 * len(text), f"{peak / len(text):.1f} times the document"
    # the default limit thus bounds a document's memory to 800 MiB
    assert 50 * DEFAULT_LIMITS["document_size"] <= 800 * 2**20


def test_a_part_that_expands_beyond_its_declared_size(scaler_parts, tmp_path):
    # the directory says model.json has 1,000 bytes; its data expand to far
    # more: reading stops at the declared size, the CRC tells the rest
    doc = json.dumps(document(scaler_parts)).encode()
    path = write_zip(tmp_path / "lying.sklstm",
                     [("model.json", doc + b" " * BOMB)] + scaler_parts[1:])
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")  # central directory entry of model.json
    assert struct.unpack_from("<I", data, entry + 24)[0] == len(doc) + BOMB
    struct.pack_into("<I", data, entry + 24, len(doc) + 1000)
    path.write_bytes(bytes(data))
    refused(path, "truncated or damaged", limits=LOW)


def test_huge_declared_array_shapes_are_refused(scaler_parts, tmp_path):
    for shape, descr in [((10**11,), "<f8"), ((2**62, 2**62), "<f8"),
                         ((4,), "<U100000000"), ((-1, 2), "<f8")]:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": descr, "fortran_order": False, "shape": shape})
        doc = document(scaler_parts)
        doc["object"]["state"]["extra_"] = {"$array": "arrays/99.npy"}
        path = write_zip(tmp_path / "shape.sklstm", with_document(scaler_parts, doc) + [
            ("arrays/99.npy", header.getvalue() + bytes(16))])
        refused(path, "declares an array of shape")


@pytest.mark.parametrize("value", [
    {"$scalar": "<i1", "value": 10**100},
    {"$scalar": "<f8", "value": 10**400},
    {"$scalar": "<u8", "value": -1},
    {"$complex": [10**400, 0.0]},
    {"$objarray": [], "shape": [{"$float": "inf"}]},
    {"$objarray": [1], "shape": [10**400, 0]},
])
def test_huge_numbers_are_refused(scaler_parts, tmp_path, value):
    doc = document(scaler_parts)
    doc["object"]["state"]["extra_"] = value
    path = write_zip(tmp_path / "number.sklstm", with_document(scaler_parts, doc))
    refused(path, "cannot be loaded|malformed")


def test_tensors_are_stored_in_their_own_dtype(lstm_parts, tmp_path):
    # a bool array read as a complex128 tensor would take 16 times its bytes
    doc = document(lstm_parts)
    module = doc["object"]["net"]["module"]["$dict"]
    name, tensor = next(iter(module.items()))
    tensor["dtype"] = "complex128"
    path = write_zip(tmp_path / "dtype.sklstm", with_document(lstm_parts, doc))
    refused(path, "a complex128 tensor stored as float32")


# ------------------------------------------------------ threads and networks
def test_thread_counts_are_bounded(lstm_parts, tmp_path):
    doc = document(lstm_parts)
    doc["object"]["params"]["n_threads"] = 100_000
    path = write_zip(tmp_path / "threads.sklstm", with_document(lstm_parts, doc))
    error = refused(path, "n_threads asks for 100,000 threads")
    assert f"n_threads={DEFAULT_LIMITS['n_threads']}" in str(error)
    # as a parameter of a search's estimator, too
    search = BayesSearchCV(LSTMClassifier(n_threads=100_000), {"lr": Real(1e-3, 1e-1)})
    save(search, tmp_path / "search.sklstm")
    refused(tmp_path / "search.sklstm", "n_threads asks for")
    # a trusted file can raise the limit; a sane count loads by default
    assert load(path, limits={"n_threads": 100_000}).n_threads == 100_000
    doc["object"]["params"]["n_threads"] = 8
    write_zip(path, with_document(lstm_parts, doc))
    assert load(path).n_threads == 8


def test_networks_larger_than_their_stored_weights_are_refused(lstm_parts, tmp_path,
                                                               monkeypatch):
    built = []
    initialize = skorch.NeuralNet.initialize
    monkeypatch.setattr(skorch.NeuralNet, "initialize",
                        lambda net: built.append(net) or initialize(net))
    doc = document(lstm_parts)
    doc["object"]["params"]["hidden_size"] = 16_000  # about 4 GB to build
    path = write_zip(tmp_path / "huge.sklstm", with_document(lstm_parts, doc))
    refused(path, r"would build a network of 1,024,[0-9,]+ parameters, more than "
                  r"load accepts \(n_parameters=268,435,456")
    doc["object"]["params"]["hidden_size"] = 4_000  # under the limit, 256 MB
    path = write_zip(tmp_path / "wide.sklstm", with_document(lstm_parts, doc))
    refused(path, r"would build a network of [0-9,]+ parameters, but the file "
                  r"stores [0-9,]+ weights")
    assert built == []  # nothing was allocated

    original = write_zip(tmp_path / "ok.sklstm", lstm_parts)
    refused(original, "would build a network of [0-9,]+ parameters, more than",
            limits={"n_parameters": 10})
    assert built == []
    assert load(original).net_ is built[0]


# ------------------------------------------------------ parts of the archive
def test_duplicate_and_unknown_parts_are_refused(scaler_parts, tmp_path):
    other = json.dumps({**document(scaler_parts), "object": None}).encode()
    path = write_zip(tmp_path / "twice.sklstm", scaler_parts + [("model.json", other)])
    # zip tools show the first part of a name, zipfile reads the last
    with zipfile.ZipFile(path) as archive:
        assert archive.read("model.json") == other
    refused(path, "two parts named 'model.json'")

    name, data = scaler_parts[1]
    path = write_zip(tmp_path / "array.sklstm", scaler_parts + [(name, data)])
    refused(path, f"two parts named '{name}'")

    path = write_zip(tmp_path / "extra.sklstm", scaler_parts + [("notes.txt", b"hi")])
    refused(path, "holds the part 'notes.txt', which save never writes")


def test_limits_are_checked():
    buffer = io.BytesIO()
    save(SequenceScaler(), buffer)
    for limits, message in [({"size": 1}, "the limits of load are"),
                            ({"total_size": 0}, "positive integer"),
                            ({"n_threads": 2.5}, "positive integer"),
                            ({"n_threads": True}, "positive integer")]:
        with pytest.raises(ValueError, match=message):
            load(buffer, limits=limits)
    with pytest.raises(TypeError, match="limits must be a dict"):
        load(buffer, limits=[("total_size", 1)])
    assert type(load(buffer, limits={"total_size": 10**4})) is SequenceScaler


# ------------------------------------------------------ a search's checkpoint
def test_a_loaded_search_does_not_write_where_the_file_chose(tmp_path):
    chosen = tmp_path / "elsewhere" / "search.ckpt"
    search = BayesSearchCV(LSTMClassifier(**TINY), {"lr": Real(1e-3, 1e-1)},
                           checkpoint=str(chosen))
    save(search, tmp_path / "search.sklstm")
    with pytest.warns(UserWarning, match="loaded with checkpoint=None") as record:
        loaded = load(tmp_path / "search.sklstm")
    assert str(chosen) in str(record[0].message)
    assert loaded.checkpoint is None
    # a file one wrote oneself may keep it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = load(tmp_path / "search.sklstm", keep_checkpoint=True)
    assert kept.checkpoint == str(chosen)


# ------------------------------------------------------ search checkpoints
def _crafted_checkpoint(path, value):
    """A checkpoint with a valid checksum whose one batch holds ``value``."""
    content = {"fingerprint": {}, "seeds": None, "batches": [
        {"keys": [], "extra": {"$dict": [["x", value]]}, "scores": [],
         "segments": [], "n_fits": 0, "n_epochs": 0}]}
    path.write_bytes(_checkpoint._dump(content))
    return path


@pytest.mark.parametrize("value", [
    {"$nd": "<U100000000", "shape": [1], "v": ["a"]},
    {"$nd": "<U1000000", "shape": [8], "v": ["a"] * 8},
    {"$np": "<U100000000", "v": "a"},
    {"$nd": "<f8", "shape": [10**11], "v": [0.0]},
    {"$nd": "<f8", "shape": [-1], "v": [0.0]},
    {"$np": "<i1", "v": 10**100},
    {"$nd": "<i8", "shape": [1], "v": [10**100]},
])
def test_crafted_checkpoint_values_are_refused_within_bounds(tmp_path, value):
    path = _crafted_checkpoint(tmp_path / "search.ckpt", value)
    # a checkpoint's NumPy values may take 8 times its size, plus 1 MiB
    bound = 2 * (8 * path.stat().st_size + 2**20)
    gc.collect()
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="not a valid search checkpoint") as info:
            read_checkpoint(str(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value)
    assert peak < bound, f"refusing it took {peak:,} bytes"


def test_checkpoint_arrays_within_the_budget_still_load(tmp_path):
    wide = np.array(["a", "b"], dtype="<U1000")  # padded wider than its items
    path = _crafted_checkpoint(tmp_path / "ok.ckpt", _checkpoint._encode(wide))
    (batch,) = read_checkpoint(str(path))[2]
    assert batch.extra["x"].dtype == wide.dtype
    np.testing.assert_array_equal(batch.extra["x"], wide)


# ------------------------------------------------------ all at once, in a child
@pytest.mark.skipif(sys.platform == "win32", reason="resource is POSIX only")
def test_peak_resident_memory_of_refusing_them_all(scaler_parts, lstm_parts, tmp_path):
    files = []
    files.append(write_zip(tmp_path / "bzip2.sklstm", scaler_parts + [
        ("arrays/99.npy", bytes(BOMB))], zipfile.ZIP_BZIP2))
    files.append(write_zip(tmp_path / "lzma.sklstm", scaler_parts + [
        ("arrays/99.npy", bytes(BOMB))], zipfile.ZIP_LZMA))
    files.append(write_zip(tmp_path / "deflate.sklstm", scaler_parts + [
        ("arrays/99.npy", bytes(BOMB))]))
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**9,)})
    doc = document(scaler_parts)
    doc["object"]["state"]["extra_"] = {"$array": "arrays/99.npy"}
    files.append(write_zip(tmp_path / "shape.sklstm", with_document(scaler_parts, doc)
                           + [("arrays/99.npy", header.getvalue() + bytes(8))]))
    doc = document(lstm_parts)
    doc["object"]["params"]["hidden_size"] = 4_000  # about 256 MB to build
    files.append(write_zip(tmp_path / "wide.sklstm", with_document(lstm_parts, doc)))
    checkpoint = _crafted_checkpoint(tmp_path / "search.ckpt",
                                     {"$nd": "<U10000000", "shape": [8], "v": ["a"] * 8})
    script = textwrap.dedent(f"""
        import resource, sys
        from sklstm.persistence import FormatError, load
        from sklstm.search._checkpoint import read_checkpoint

        load({str(tmp_path / "ok.sklstm")!r})  # everything a load imports
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for path in {[str(f) for f in files]!r}:
            try:
                load(path, limits={LOW!r})
            except FormatError:
                pass
            else:
                sys.exit(path + " loaded")
        try:
            read_checkpoint({str(checkpoint)!r})
        except ValueError:
            pass
        else:
            sys.exit("the checkpoint was read")
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) * 1024)  # ru_maxrss is in KiB on Linux
    """)
    write_zip(tmp_path / "ok.sklstm", lstm_parts)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True,
                         text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr + out.stdout
    growth = int(out.stdout.split()[-1])
    assert growth < BOUND, f"the peak resident memory grew by {growth:,} bytes"


def test_limit_errors_are_plain_format_errors(scaler_parts, lstm_parts, tmp_path):
    path = write_zip(tmp_path / "big.sklstm", scaler_parts + [
        ("arrays/99.npy", bytes(2 * LIMIT))])
    doc = document(lstm_parts)
    doc["object"]["params"]["n_threads"] = 10**6
    threads = write_zip(tmp_path / "threads.sklstm", with_document(lstm_parts, doc))
    for crafted in (path, threads):
        error = refused(crafted, "more than load accepts", limits=LOW)
        assert type(error) is FormatError
        assert "save the model again" not in str(error)  # not a damaged file
