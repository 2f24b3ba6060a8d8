"""Save and load fitted models without running code at load time.

:mod:`pickle` (and :mod:`joblib`, which uses it) can rebuild any Python
object, and rebuilding an object may call any function: a pickle from an
untrusted source can run arbitrary code the moment it is loaded. The files
written by :func:`save` cannot. A file is a zip archive that holds

* ``model.json``: a JSON document with the format and library versions and a
  description of the object: for every estimator its class (by full dotted
  name), its constructor parameters (``get_params(deep=False)``) and its
  fitted attributes, as plain data;
* ``arrays/<n>.npy``: every NumPy array and torch tensor (network weights,
  optimizer state, fitted statistics) in NumPy's ``.npy`` format, read back
  with ``allow_pickle=False``.

:func:`load` reads the document as JSON and rebuilds only the classes of an
allowlist (:func:`allowed_classes`: sklstm's estimators, searchers and
transformers, and a list of scikit-learn transformers, pipelines and
cross-validation splitters). Functions, lambdas and objects of any other
class are refused, both when saving and when loading, with an error that
names them; a class can be allowed with ``trusted=``. A network is rebuilt
the way ``fit`` builds it and its weights are loaded into it, so a model
trained on a GPU loads on a machine without one. What a file may make
:func:`load` allocate is bounded by :data:`DEFAULT_LIMITS`, checked from
what the file declares before anything is read.

Values JSON cannot hold as such are written as one-key objects whose key
starts with ``$`` (``{"$tuple": [...]}``, ``{"$array": "arrays/3.npy"}``,
...); every dict is written as ``{"$dict": ...}`` or ``{"$items": ...}``, so
the tags never clash with the user's data. The user guide's page "Saving
and loading models" says what is kept, what is refused and why.

Examples
--------
A file can be read with the standard library, without sklstm:

>>> import io, json, zipfile
>>> import numpy as np
>>> from sklstm.persistence import FORMAT_VERSION, save
>>> from sklstm.preprocessing import SequenceScaler
>>> buffer = io.BytesIO()
>>> save(SequenceScaler().fit(np.ones((2, 3, 1))), buffer)
>>> archive = zipfile.ZipFile(buffer)
>>> archive.namelist()[0]
'model.json'
>>> document = json.loads(archive.read("model.json"))
>>> document["format_version"] == FORMAT_VERSION
True
>>> document["object"]["$estimator"]
'sklstm.preprocessing._sequence.SequenceScaler'
"""

import importlib
import inspect
import io
import json
import math
import numbers
import os
import pathlib
import re
import secrets
import sys
import types
import zipfile
import zlib
from collections.abc import Mapping

import numpy as np
import sklearn
import torch

from ._warnings import warn_caller

__all__ = [
    "DEFAULT_LIMITS", "FORMAT_VERSION", "FormatError", "UntrustedTypeError", "allowed_classes",
    "load", "save",
]

#: Version of the file format written by :func:`save`, stored in every file
#: as ``format_version`` (see the example of the module). A file of a later
#: version is refused by :func:`load` (it may hold what this version would
#: misread); files of earlier versions stay readable.
FORMAT_VERSION = 1

_FORMAT_NAME = "sklstm-model"
_DOCUMENT = "model.json"
_ARRAY_PART = re.compile(r"arrays/[0-9]+\.npy")

# what reading a part of a damaged (or encrypted, or oddly compressed)
# archive raises; RuntimeError and NotImplementedError are zipfile's words
# for a password-protected part and an unknown compression method. Only
# caught around the reads: elsewhere a RuntimeError is torch's, not the file's
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError,
            NotImplementedError)

# fitted attributes of the searchers that hold live scikit-optimize objects;
#: they are not stored (see the user guide)
_SEARCH_DROPPED = ("optimizers_",)

# scikit-learn's version, written into every file and compared at load
# (getattr: tests/test_structure.py reads a dotted dunder name as private)
_SKLEARN_VERSION = getattr(sklearn, "__version__")

# what the hints of the errors say
_REWRITE_HINT = ("The file is damaged, or was not written by "
                 "sklstm.persistence.save; save the model again from where it "
                 "was trained.")

# the most samples of the placeholder data a network is rebuilt with (see
# _Reader._rebuild_net): a crafted validation_fraction of 1 - 1e-12 must not
# make load allocate a terabyte
_MAX_PLACEHOLDER = 1_000_000

#: What :func:`load` accepts from a file unless its ``limits=`` says more.
#: Everything is checked against what the file *declares* before it is
#: read or allocated:
#:
#: * ``"total_size"``: bytes of all parts of the archive together,
#:   uncompressed (1 GiB);
#: * ``"array_size"``: bytes of one array part (``arrays/<n>.npy``),
#:   uncompressed (512 MiB);
#: * ``"document_size"``: bytes of the JSON document ``model.json``,
#:   uncompressed (16 MiB; parsed, a document takes less than 50 times its
#:   size);
#: * ``"n_parameters"``: parameters of one network (``2**28``, 1 GiB of float32
#:   weights); a network must also have no more parameters than the weights
#:   the file stores for it;
#: * ``"n_threads"``: the largest ``n_threads`` of an estimator (256).
DEFAULT_LIMITS = types.MappingProxyType({
    "total_size": 2**30,
    "array_size": 2**29,
    "document_size": 2**24,
    "n_parameters": 2**28,
    "n_threads": 256,
})

# the compression methods of the parts load reads: what save writes
# (deflate) and no compression; bzip2 and LZMA expand far more per byte
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA"}

# parts are read in pieces of this size: zipfile decompresses at most this
# much at a time, whatever a part's compressed data would expand to
_CHUNK = 2**20


def _resolve_limits(limits):
    """``DEFAULT_LIMITS`` updated by the ``limits=`` of :func:`load`."""
    out = dict(DEFAULT_LIMITS)
    if limits is None:
        return out
    if not isinstance(limits, Mapping):
        raise TypeError(f"limits must be a dict such as {{'total_size': 2**31}}, "
                        f"not {limits!r}")
    for key, value in limits.items():
        if key not in out:
            raise ValueError(
                f"limits has the key {key!r}; the limits of load are "
                f"{', '.join(map(repr, DEFAULT_LIMITS))}."
            )
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or \
                value < 1:
            raise ValueError(f"limits[{key!r}] is {value!r}; give a positive integer.")
        out[key] = int(value)
    return out


class FormatError(ValueError):
    """A file that is not a readable sklstm model file.

    Raised by :func:`load` for a file that is not a zip archive (a pickle,
    for instance), is truncated or damaged, lacks parts, describes objects
    inconsistently, or was written in a format version this sklstm does not
    know. The message names the file and what is wrong with it.

    Examples
    --------
    >>> import io
    >>> from sklstm.persistence import FormatError, load
    >>> try:
    ...     load(io.BytesIO(b"not a model"))
    ... except FormatError as exc:
    ...     print("refused:", isinstance(exc, ValueError))
    refused: True
    """


class UntrustedTypeError(TypeError):
    """An object of a class that may not be saved or loaded.

    Raised by :func:`save` and :func:`load` for a class outside the
    allowlist (see :func:`allowed_classes`) and ``trusted=``, for functions
    and other callables, and for objects that cannot be written as plain
    data. :func:`load` raises it before building any object of the class.

    Examples
    --------
    >>> import io
    >>> from sklstm.persistence import UntrustedTypeError, save
    >>> try:
    ...     save({"step": print}, io.BytesIO())
    ... except UntrustedTypeError as exc:
    ...     print("refused:", isinstance(exc, TypeError))
    refused: True
    """


# ------------------------------------------------------------------ allowlist
def _default_classes():
    """``(classes, type_only)``: the classes allowed without ``trusted=``.

    ``type_only`` are allowed as classes only (the ``optimizer`` parameter, a
    ``dtype``, a search-space choice), never as instances: an optimizer
    instance or an ``int`` built from attributes would be half-made objects.
    """
    from skopt.space import Categorical, Integer, Real
    from sklearn import compose, decomposition, impute, model_selection, pipeline
    from sklearn import preprocessing as skp

    from ._estimators import LSTMClassifier, LSTMRegressor
    from ._forecaster import LSTMForecaster
    from .preprocessing import (
        PerTimestepTransformer, SequencePadder, SequenceScaler, TextToSequences,
    )
    from .search import BayesSearchCV, GeneticSearchCV

    ms = model_selection
    classes = [
        LSTMClassifier, LSTMRegressor, LSTMForecaster, BayesSearchCV,
        GeneticSearchCV, PerTimestepTransformer, SequencePadder, SequenceScaler,
        TextToSequences,
        pipeline.Pipeline, pipeline.FeatureUnion,
        compose.TransformedTargetRegressor,
        skp.StandardScaler, skp.MinMaxScaler, skp.MaxAbsScaler, skp.RobustScaler,
        skp.Normalizer, skp.Binarizer, skp.QuantileTransformer,
        skp.PowerTransformer, skp.OneHotEncoder, skp.OrdinalEncoder,
        skp.LabelEncoder, skp.KBinsDiscretizer,
        impute.SimpleImputer, decomposition.PCA, decomposition.TruncatedSVD,
        # splitters: plain objects whose attributes are their parameters
        ms.KFold, ms.StratifiedKFold, ms.GroupKFold, ms.StratifiedGroupKFold,
        ms.TimeSeriesSplit, ms.ShuffleSplit, ms.StratifiedShuffleSplit,
        ms.GroupShuffleSplit, ms.RepeatedKFold, ms.RepeatedStratifiedKFold,
        ms.LeaveOneOut, ms.LeavePOut, ms.LeaveOneGroupOut, ms.LeavePGroupsOut,
        ms.PredefinedSplit,
        Real, Integer, Categorical,
    ]
    type_only = [
        torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD, torch.optim.RMSprop,
        torch.optim.Adagrad, torch.optim.Adadelta, torch.optim.Adamax,
        torch.optim.NAdam, torch.optim.RAdam,
        bool, int, float, str, complex,
    ]
    type_only += [np.dtype(code).type for code in "?bhilqBHILQefdgFDUS"]
    return classes + type_only, type_only


def _class_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _resolve_trusted(trusted):
    """``(allowed, type_only)``: dotted name to class, and the names allowed
    as classes only."""
    classes, type_only = _default_classes()
    allowed = {_class_name(cls): cls for cls in classes}
    type_only = {_class_name(cls) for cls in type_only}
    if isinstance(trusted, (str, type)):
        trusted = [trusted]
    for item in trusted or ():
        if isinstance(item, type):
            allowed[_class_name(item)] = item
            continue
        if not isinstance(item, str) or "." not in item:
            raise TypeError(
                f"trusted holds {item!r}; give classes or their full dotted "
                "names, such as 'mypackage.module.MyTransformer'."
            )
        # the caller's own string: importing it is the caller's decision
        module_name, _, attr = item.rpartition(".")
        try:
            cls = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ValueError(
                f"trusted names {item!r}, which cannot be imported ({exc})."
            ) from None
        if not isinstance(cls, type):
            raise TypeError(
                f"trusted names {item!r}, which is not a class; only classes can "
                "be trusted (functions are never stored)."
            )
        allowed[item] = cls
        allowed[_class_name(cls)] = cls
    return allowed, type_only


def allowed_classes():
    """Full dotted names of the classes :func:`save` and :func:`load` accept.

    Besides these, ``trusted=`` of both functions can allow more classes.
    :class:`sklearn.preprocessing.FunctionTransformer` is left out on purpose:
    it holds arbitrary functions. Torch optimizers, Python's number and
    string types and NumPy's scalar types are allowed as classes only (an
    ``optimizer=`` or ``dtype=`` parameter), not as instances.

    Returns
    -------
    names : list of str
        The names, sorted, as they are written in the files.

    Examples
    --------
    >>> from sklstm.persistence import allowed_classes
    >>> "sklstm._estimators.LSTMClassifier" in allowed_classes()
    True
    >>> any("FunctionTransformer" in name for name in allowed_classes())
    False
    """
    return sorted(_resolve_trusted(())[0])


def _layout_problem(cls):
    """Why the state of instances of ``cls`` may lie outside ``__dict__``
    (then storing ``vars(obj)`` would lose it silently); None when it cannot.
    """
    for base in cls.__mro__[:-1]:  # all but object
        if not base.__flags__ & (1 << 9):  # Py_TPFLAGS_HEAPTYPE: a C type
            return f"it is built on the C type {_class_name(base)}"
        if base.__dict__.get("__slots__"):
            return f"{base.__name__} stores attributes in __slots__"
    return None


# ------------------------------------------------------------------- writing
def _is_lstm(obj):
    from ._estimators import _BaseLSTM

    return isinstance(obj, _BaseLSTM)


def _is_search(obj):
    from .search._base import _BaseSearch

    return isinstance(obj, _BaseSearch)


def _from_package(obj, package):
    return type(obj).__module__.split(".")[0] == package


def _is_logbook(obj):
    from deap.tools import Logbook

    return type(obj) is Logbook


# a time zone is stored by its name; the names of the tz database are made of
# these characters (never a path: pandas may hand a name to dateutil)
_TZ_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*")


class _Writer:
    """Turns objects into JSON-able values, collecting arrays for the zip."""

    def __init__(self, allowed, type_only):
        self.type_only = type_only
        self.names = {cls: name for name, cls in allowed.items()}
        # the canonical name of each class wins over an alias from trusted=
        for name, cls in allowed.items():
            if name == _class_name(cls):
                self.names[cls] = name
        self.arrays = {}

    def _array(self, arr):
        name = f"arrays/{len(self.arrays)}.npy"
        # kept as it is (0-d, Fortran order): np.save writes any layout, and
        # the arrays are written before save returns
        self.arrays[name] = arr
        return name

    def _class(self, cls, where):
        name = self.names.get(cls)
        if name is None:
            raise UntrustedTypeError(
                f"{where} is the class {_class_name(cls)!r}, which is not in the "
                "allowlist of sklstm.persistence (see allowed_classes()). If you "
                f"trust it, pass trusted=[{_class_name(cls)!r}] to save and load."
            )
        return name

    def value(self, v, where):
        if v is None or type(v) in (bool, int, str):
            return v
        if type(v) is float:
            if math.isfinite(v):
                return v
            return {"$float": repr(v)}
        if type(v) is list:
            return [self.value(x, f"{where}[{i}]") for i, x in enumerate(v)]
        if type(v) is tuple:
            return {"$tuple": [self.value(x, f"{where}[{i}]") for i, x in enumerate(v)]}
        if type(v) in (set, frozenset):
            return {"$set": [self.value(x, where) for x in sorted(v, key=repr)],
                    "frozen": type(v) is frozenset}
        if type(v) is dict:
            if all(type(k) is str for k in v):
                return {"$dict": {k: self.value(x, f"{where}[{k!r}]")
                                  for k, x in v.items()}}
            return {"$items": [[self.value(k, where), self.value(x, f"{where}[{k!r}]")]
                               for k, x in v.items()]}
        if type(v) is complex:
            return {"$complex": [self.value(v.real, where), self.value(v.imag, where)]}
        if type(v) is bytes:
            return {"$bytes": self._array(np.frombuffer(v, dtype=np.uint8))}
        if isinstance(v, pathlib.PurePath):
            return {"$path": str(v)}
        if isinstance(v, np.generic):
            return self._scalar(v, where)
        if type(v) is np.ma.MaskedArray:
            return {"$masked": self.value(np.asarray(v.data), where),
                    "mask": self.value(np.ma.getmaskarray(v), where),
                    "fill_value": self.value(v.fill_value, where)}
        if type(v) in (np.ndarray, np.memmap):
            return self._ndarray(np.asarray(v), where)
        if isinstance(v, torch.Tensor):
            return self._tensor(v, where)
        if isinstance(v, np.dtype):
            if v.fields is not None or v.subdtype is not None:
                raise UntrustedTypeError(f"{where} is a structured dtype {v}; "
                                         "it cannot be stored.")
            return {"$dtype": v.str}
        if type(v) is np.random.RandomState:
            return {"$random_state": self.value(v.get_state(), where)}
        if type(v) is np.random.Generator:
            return {"$generator": self.value(v.bit_generator.state, where)}
        if isinstance(v, type):
            return {"$type": self._class(v, where)}
        if _from_package(v, "pandas"):
            return self._pandas(v, where)
        if _from_package(v, "deap") and _is_logbook(v):
            return self._logbook(v, where)
        cls_name = self.names.get(type(v))
        if cls_name is None:
            if callable(v):
                raise UntrustedTypeError(
                    f"{where} is the callable {v!r}; functions, methods and "
                    "other callables are never stored, since loading them means "
                    "running code. Replace it by a plain value (a string name, "
                    "None) before saving."
                )
            raise self._untrusted(type(v), where)
        if cls_name in self.type_only:
            raise UntrustedTypeError(
                f"{where} is an instance of {cls_name!r}, which is stored as a "
                "class only (such as optimizer=torch.optim.Adam); give the class "
                "instead of an instance."
            )
        return self._object(v, cls_name, where)

    @staticmethod
    def _untrusted(cls, where):
        from sklearn.preprocessing import FunctionTransformer

        name = _class_name(cls)
        if issubclass(cls, FunctionTransformer):
            return UntrustedTypeError(
                f"{where} is a FunctionTransformer, which sklstm.persistence "
                "leaves out on purpose: it holds a function, and functions are "
                "never stored (loading one means running code). Apply the "
                "function to the data before the pipeline, or write the step as "
                "a transformer class of your own that keeps plain attributes "
                "(and pass it in trusted=)."
            )
        problem = _layout_problem(cls)
        if problem is not None:
            return UntrustedTypeError(
                f"{where} holds an object of class {name!r}, which "
                "sklstm.persistence cannot store: it is not in the allowlist "
                f"(see allowed_classes()), and {problem}, so its state is not "
                "in plain attributes. Convert it to a plain value (a list, a "
                "dict, an array) or leave it out before saving."
            )
        return UntrustedTypeError(
            f"{where} holds an object of class {name!r}, which is not in the "
            "allowlist of sklstm.persistence (see allowed_classes()). If you "
            "trust the class and its objects keep their state in plain "
            f"attributes, pass trusted=[{name!r}] to save, and the same to load."
        )

    def _scalar(self, v, where):
        if v.dtype.kind in "biu" or (v.dtype.kind == "f" and v.dtype.itemsize <= 8):
            # item() is exact for these: a Python int, or a float that holds
            # every float16/32/64 value
            return {"$scalar": v.dtype.str, "value": self.value(v.item(), where)}
        if v.dtype.kind in "fcUSmM":
            # long double, complex, strings, dates: kept bit for bit in .npy
            return {"$scalar_array": self._array(np.asarray(v))}
        raise UntrustedTypeError(f"{where} is a NumPy scalar of dtype {v.dtype}, "
                                 "which cannot be stored.")

    def _ndarray(self, v, where):
        if v.dtype.kind == "O":
            return {"$objarray": [self.value(x, f"{where}[{i}]")
                                  for i, x in enumerate(v.ravel().tolist())],
                    "shape": list(v.shape)}
        if v.dtype.kind == "V" or v.dtype.hasobject:
            raise UntrustedTypeError(f"{where} is an array of dtype {v.dtype}, "
                                     "which cannot be stored.")
        return {"$array": self._array(v)}

    def _tensor(self, v, where):
        t = v.detach().cpu()
        if t.dtype == torch.bfloat16:
            return {"$tensor": self._array(t.view(torch.int16).numpy()),
                    "dtype": "bfloat16"}
        name = str(t.dtype).split(".")[-1]
        if name not in _TENSOR_DTYPES:
            raise UntrustedTypeError(f"{where} is a tensor of dtype {t.dtype}, "
                                     "which cannot be stored.")
        return {"$tensor": self._array(t.numpy()), "dtype": name}

    def _pandas(self, v, where):
        """Time indexes, stamps and offsets (what a forecaster keeps of its
        series); other pandas objects are refused."""
        import pandas as pd

        name = lambda: self.value(v.name, f"{where}.name")  # noqa: E731
        freq = lambda: None if v.freq is None else v.freqstr  # noqa: E731
        if isinstance(v, pd.RangeIndex):
            return {"$pd_range": [v.start, v.stop, v.step], "name": name()}
        if isinstance(v, pd.DatetimeIndex):
            tz = self._tz(v.tz, where)
            utc = v if tz is None else v.tz_convert("UTC").tz_localize(None)
            return {"$pd_datetimes": self._array(utc.to_numpy()), "tz": tz,
                    "freq": freq(), "name": name()}
        if isinstance(v, pd.TimedeltaIndex):
            return {"$pd_timedeltas": self._array(v.to_numpy()), "freq": freq(),
                    "name": name()}
        if isinstance(v, pd.PeriodIndex):
            # periods are whole numbers (ordinals) counted in their frequency
            return {"$pd_periods": self._array(v.asi8.astype(np.int64)),
                    "freq": v.freqstr, "name": name()}
        if type(v) is pd.Index:
            dtype = v.dtype
            if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
                values = self.value(v.to_numpy(), where)
            elif str(dtype) in _PD_TEXT_DTYPES:
                values = self.value(v.to_numpy(dtype=object), where)
            else:
                raise UntrustedTypeError(
                    f"{where} is a pandas Index of dtype {dtype}, which cannot be "
                    "stored; use an index of numbers, strings or dates."
                )
            return {"$pd_index": values, "dtype": str(dtype), "name": name()}
        if isinstance(v, pd.Timestamp):
            tz = self._tz(v.tz, where)
            utc = v if tz is None else v.tz_convert("UTC").tz_localize(None)
            return {"$pd_timestamp": self.value(utc.to_datetime64(), where), "tz": tz}
        if isinstance(v, pd.Timedelta):
            return {"$pd_timedelta": self.value(v.to_timedelta64(), where)}
        if isinstance(v, pd.Period):
            return {"$pd_period": int(v.ordinal), "freq": v.freqstr}
        if isinstance(v, pd.DateOffset):
            return {"$pd_offset": v.freqstr}
        raise UntrustedTypeError(
            f"{where} is a pandas {type(v).__name__}, which cannot be stored "
            "(a RangeIndex, DatetimeIndex, TimedeltaIndex, PeriodIndex, an Index "
            "of numbers or strings, a Timestamp, a Timedelta or a Period can); "
            "convert it to a NumPy "
            "array or leave it out before saving."
        )

    @staticmethod
    def _tz(tz, where):
        if tz is None:
            return None
        import pandas as pd

        name = str(tz)
        try:
            # the name must give back a zone of that name (pytz, zoneinfo or
            # dateutil alike: pandas may choose another library for it)
            ok = bool(_TZ_NAME.fullmatch(name)) and str(
                pd.DatetimeTZDtype(tz=name).tz) == name
        except Exception:  # noqa: BLE001 - any failure means: no usable name
            ok = False
        if not ok:
            raise UntrustedTypeError(
                f"{where} has the time zone {tz!r}, which cannot be stored by a "
                "name of the tz database; use a named zone ('UTC', "
                "'Europe/Berlin') or convert to UTC before fitting."
            )
        return name

    def _logbook(self, v, where):
        """DEAP's Logbook (GeneticSearchCV.logbook_): a list of records."""
        return {"$logbook": [self.value(dict(row), f"{where}[{i}]")
                             for i, row in enumerate(v)],
                "header": self.value(None if v.header is None else list(v.header),
                                     f"{where}.header"),
                "log_header": bool(v.log_header), "buffindex": int(v.buffindex),
                "chapters": {name: self._logbook(ch, f"{where}.chapters[{name!r}]")
                             for name, ch in v.chapters.items()}}

    def _object(self, obj, cls_name, where):
        from skopt.space import Categorical, Integer, Real

        if isinstance(obj, (Real, Integer)):
            args = dict(low=obj.low, high=obj.high, prior=obj.prior, base=obj.base,
                        transform=obj.transform_, name=obj.name, dtype=obj.dtype)
            return {"$dimension": cls_name, "args": self.value(args, where)}
        if isinstance(obj, Categorical):
            args = dict(categories=obj.categories, prior=obj.prior,
                        transform=obj.transform_, name=obj.name)
            return {"$dimension": cls_name, "args": self.value(args, where)}
        label = f"{where} ({type(obj).__name__})"
        problem = _layout_problem(type(obj))
        if problem is not None:
            raise UntrustedTypeError(
                f"{label} cannot be stored as plain attributes: {problem}."
            )
        if not hasattr(obj, "get_params"):
            return {"$object": cls_name,
                    "attrs": {k: self.value(x, f"{label}.{k}")
                              for k, x in vars(obj).items()}}
        params = obj.get_params(deep=False)
        state = {k: x for k, x in vars(obj).items() if k not in params}
        out = {"$estimator": cls_name,
               "params": {k: self.value(x, f"{label}.{k}") for k, x in params.items()}}
        requests = self._metadata_requests(state, label)
        if requests is not None:
            out["metadata_request"] = requests
        if _is_lstm(obj) and "net_" in state:
            out["net"] = self._net(state.pop("net_"), f"{label}.net_")
        if _is_search(obj):
            out["dropped"] = [k for k in _SEARCH_DROPPED if k in state]
            for k in _SEARCH_DROPPED:
                state.pop(k, None)
            # rebuilt from ``scoring`` at load: scorers are objects of
            # scikit-learn's private classes
            state.pop("scorer_", None)
        out["state"] = {k: self.value(x, f"{label}.{k}") for k, x in state.items()}
        return out

    def _metadata_requests(self, state, where):
        """The ``set_*_request`` choices of an estimator (metadata routing),
        as ``{method: {parameter: alias}}``; None when it made none."""
        from sklearn.utils.metadata_routing import MetadataRequest

        request = state.get("_metadata_request")
        if type(request) is not MetadataRequest:
            return None  # stored as any other attribute (or refused)
        del state["_metadata_request"]
        out = {method: dict(part.requests) for method, part in vars(request).items()
               if method != "owner" and getattr(part, "requests", None)}
        return self.value(out, f"{where}._metadata_request")

    def _net(self, net, where):
        scheduler = dict(net.callbacks_).get("lr_schedule")
        scheduler = getattr(scheduler, "lr_scheduler_", None)
        rng = getattr(net, "iterator_train__rng", None)
        return {
            "output_size": self.value(net.module__output_size, where),
            "module": self.value(dict(net.module_.state_dict()), f"{where}.module_"),
            "criterion": self.value(dict(net.criterion_.state_dict()),
                                    f"{where}.criterion_"),
            "optimizer": self.value(net.optimizer_.state_dict(), f"{where}.optimizer_"),
            "lr_scheduler": (None if scheduler is None else
                             self.value(scheduler.state_dict(), f"{where}.lr_scheduler")),
            "history": self.value([dict(row) for row in net.history],
                                  f"{where}.history"),
            "iterator_rng": (None if rng is None else
                             self.value(rng.bit_generator.state, f"{where}.rng")),
            "has_train_split": net.train_split is not None,
        }


def _versions():
    import skorch

    from . import __version__

    return {
        "sklstm": __version__, "scikit-learn": _SKLEARN_VERSION,
        "torch": torch.__version__.split("+")[0], "numpy": np.__version__,
        "skorch": skorch.__version__,
        "python": ".".join(map(str, sys.version_info[:3])),
    }


def _write(target, text, parts):
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_DOCUMENT, text)
        for name, data in parts:
            archive.writestr(name, data)


def save(obj, path, *, trusted=()):
    """Save a fitted estimator, pipeline or search to a file that is safe to load.

    The file is a zip archive of a JSON document and NumPy ``.npy`` arrays
    (see :mod:`sklstm.persistence`); loading it with :func:`load` runs no
    code from the file. Networks are stored with their weights, optimizer
    state, learning-rate schedule, random states and training history, so a
    loaded model predicts exactly as the saved one and goes on training as
    it would have (``warm_start``, ``partial_fit``).

    Parameters
    ----------
    obj : estimator
        An object of an allowed class (see :func:`allowed_classes`), fitted
        or not: an sklstm estimator, a :class:`~sklearn.pipeline.Pipeline`
        of allowed steps, a :class:`~sklstm.BayesSearchCV` or
        :class:`~sklstm.GeneticSearchCV`. Every parameter and fitted
        attribute must be plain data (numbers, strings, lists, dicts,
        arrays, tensors, pandas time indexes, allowed objects); functions
        are refused.
    path : str, path-like or binary file object
        Where to write. A file at a path is replaced as a whole once the
        new one is complete, so an interrupted save leaves the old one in
        place. The extension is up to you (``.sklstm`` is a good choice).
    trusted : sequence of class or str, default=()
        More classes to accept, as classes or full dotted names
        (``"mypackage.module.MyTransformer"``). Their instances are stored
        as their parameters and attributes; pass the same ``trusted`` to
        :func:`load`.

    Raises
    ------
    UntrustedTypeError
        If ``obj`` holds an object of a class that is not allowed, or a
        function; nothing is written then.

    See Also
    --------
    load : Read the file back.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklstm.persistence import save, load
    >>> from sklstm.preprocessing import SequenceScaler
    >>> X = np.arange(24, dtype="float32").reshape(4, 3, 2)
    >>> scaler = SequenceScaler().fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "scaler.sklstm")
    >>> save(scaler, path)
    >>> np.array_equal(load(path).transform(X), scaler.transform(X))
    True
    """
    writer = _Writer(*_resolve_trusted(trusted))
    document = {
        "format": _FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "object": writer.value(obj, "the object"),
    }
    text = json.dumps(document, allow_nan=False, separators=(",", ":"))
    parts = []
    for name, arr in writer.arrays.items():
        buffer = io.BytesIO()
        np.save(buffer, arr, allow_pickle=False)
        parts.append((name, buffer.getvalue()))
    if hasattr(path, "write"):
        _write(path, text, parts)
        return
    # written next to the target, then moved over it: a crash or a full disk
    # never leaves a half-written model where the previous one was; a link is
    # followed, so the file it points to is the one replaced
    target = os.path.realpath(os.fspath(path))
    directory, base = os.path.split(target)
    # opened with "x" rather than by tempfile.mkstemp: a new model file gets
    # the permissions any new file gets (the umask's), not mkstemp's 0600
    tmp = os.path.join(directory, f".{base}.{secrets.token_hex(8)}.tmp")
    try:
        with open(tmp, "xb") as f:
            _write(f, text, parts)
            f.flush()
            os.fsync(f.fileno())
        if os.path.exists(target):
            os.chmod(tmp, os.stat(target).st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# ------------------------------------------------------------------- reading
_BIT_GENERATORS = {
    "PCG64": np.random.PCG64, "PCG64DXSM": np.random.PCG64DXSM,
    "MT19937": np.random.MT19937, "Philox": np.random.Philox,
    "SFC64": np.random.SFC64,
}

_TENSOR_DTYPES = {
    name: getattr(torch, name) for name in (
        "float16", "float32", "float64", "int8", "int16", "int32", "int64",
        "uint8", "bool", "complex64", "complex128",
    )
}

# the text dtypes a stored pandas Index may have (pandas 3 names its default
# "str", earlier versions "object")
_PD_TEXT_DTYPES = ("object", "str", "string")


class _Reader:
    """Rebuilds objects from the JSON document, the arrays and the allowlist."""

    def __init__(self, archive, allowed, type_only, device, label,
                 limits=DEFAULT_LIMITS, keep_checkpoint=False):
        self.archive = archive
        self.limits = limits
        self.keep_checkpoint = keep_checkpoint
        self.cleared = []  # checkpoint paths of searches set to None
        self.allowed = allowed
        self.type_only = type_only
        self.device = device
        self.label = label
        self.fallback = []  # (class, device) of networks moved to the CPU
        self.read = set()  # the parts read so far

    def _array(self, name):
        if not isinstance(name, str) or not _ARRAY_PART.fullmatch(name):
            raise FormatError(f"an array reference is {name!r}, not the name of "
                              "an array part")
        if name in self.read:
            # save never refers to a part twice; a crafted file could, to make
            # a small part decompress into memory again and again
            raise FormatError(f"the part {name!r} is referred to twice")
        self.read.add(name)
        try:
            data = _read_part(self.archive, name)
        except KeyError:
            raise FormatError(f"the file lacks its part {name!r}") from None
        except _DAMAGED as exc:
            raise FormatError(f"the part {name!r} cannot be read ({exc})") from None
        return _npy_array(data, name)

    def _class(self, name, where, *, instance=True):
        if not isinstance(name, str):
            raise FormatError(f"{where} names the class {name!r}")
        cls = self.allowed.get(name)
        if cls is None:
            raise UntrustedTypeError(
                f"{self.label}: {where} is an object of class {name!r}, which is "
                "not in the allowlist of sklstm.persistence (see "
                "allowed_classes()); nothing of it was built. If you saved this "
                "file yourself with trusted=, pass the same trusted= to load. Do "
                "not trust a class only because a file you did not write names it."
            )
        if instance and name in self.type_only:
            raise FormatError(f"{where} is an instance of {name}, which is stored "
                              "as a class only")
        return cls

    def value(self, v, where="the object"):
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, list):
            return [self.value(x, f"{where}[{i}]") for i, x in enumerate(v)]
        if not isinstance(v, dict) or not v:
            raise FormatError(f"{where}: unexpected value {v!r}")
        tag = next(iter(v))
        handler = _TAGS.get(tag)
        if handler is None:
            raise FormatError(f"{where}: unknown tag {tag!r}")
        return handler(self, v, where)

    def _float(self, v, where):
        text = v["$float"]
        if text not in ("nan", "inf", "-inf"):
            raise FormatError(f"{where}: bad float {text!r}")
        return float(text)

    def _complex(self, v, where):
        real, imag = (float(self.value(x, where)) for x in v["$complex"])
        return complex(real, imag)

    def _bytes(self, v, where):
        arr = self._array(v["$bytes"])
        if arr.dtype != np.uint8 or arr.ndim != 1:
            raise FormatError(f"{where}: bytes stored as {arr.dtype} {arr.shape}")
        return arr.tobytes()

    def _path(self, v, where):
        text = v["$path"]
        if not isinstance(text, str):
            raise FormatError(f"{where}: a path stored as {text!r}")
        return pathlib.Path(text)

    def _tuple(self, v, where):
        return tuple(self._list(v["$tuple"], where))

    def _list(self, items, where):
        if not isinstance(items, list):
            raise FormatError(f"{where}: {items!r} is not a list")
        return self.value(items, where)

    def _set(self, v, where):
        items = self._list(v["$set"], where)
        return frozenset(items) if v.get("frozen") else set(items)

    def _dict(self, v, where):
        items = v["$dict"]
        if not isinstance(items, dict):
            raise FormatError(f"{where}: bad dict")
        return {k: self.value(x, f"{where}[{k!r}]") for k, x in items.items()}

    def _items(self, v, where):
        items = v["$items"]
        if not isinstance(items, list) or not all(
                isinstance(p, list) and len(p) == 2 for p in items):
            raise FormatError(f"{where}: bad dict items")
        return {self._key(self.value(k, where)): self.value(x, where)
                for k, x in items}

    @staticmethod
    def _key(key):
        if isinstance(key, (list, dict, set)):
            raise FormatError(f"a dict key is a {type(key).__name__}")
        return key

    def _scalar(self, v, where):
        dtype = self._plain_dtype(v["$scalar"], where)
        if dtype.kind not in "biuf":
            raise FormatError(f"{where}: bad scalar dtype {dtype}")
        value = self.value(v["value"], where)
        if isinstance(value, bool) != (dtype.kind == "b") or not isinstance(
                value, (int, float)):
            raise FormatError(f"{where}: {value!r} is not a value of {dtype}")
        if dtype.kind in "iu" and isinstance(value, int):
            # NumPy 1.x wraps an out-of-range int silently (NumPy 2 raises)
            info = np.iinfo(dtype)
            if not info.min <= value <= info.max:
                raise FormatError(f"{where}: {value!r} is malformed for {dtype}: "
                                  f"out of its range {info.min}..{info.max}")
        return dtype.type(value)

    def _scalar_array(self, v, where):
        arr = self._array(v["$scalar_array"])
        if arr.ndim != 0:
            raise FormatError(f"{where}: a scalar is stored with shape {arr.shape}")
        return arr[()]

    def _plain_array(self, v, where):
        return self._array(v["$array"])

    def _objarray(self, v, where):
        items = self._list(v["$objarray"], where)
        shape = tuple(int(n) for n in v["shape"])
        if any(n < 0 for n in shape) or math.prod(shape) != len(items):
            raise FormatError(f"{where}: {len(items)} items for the shape {shape}")
        out = np.empty(len(items), dtype=object)
        for i, x in enumerate(items):
            out[i] = x
        return out.reshape(shape)

    def _masked(self, v, where):
        data = self.value(v["$masked"], where)
        mask = self.value(v["mask"], where)
        if not isinstance(data, np.ndarray) or not isinstance(mask, np.ndarray):
            raise FormatError(f"{where}: a masked array without arrays")
        out = np.ma.MaskedArray(data, mask=mask)
        if "fill_value" in v:
            out.fill_value = self.value(v["fill_value"], where)
        return out

    def _tensor(self, v, where):
        arr = self._array(v["$tensor"])
        name = v.get("dtype")
        if name == "bfloat16":
            if arr.dtype != np.int16:
                raise FormatError(f"{where}: a bfloat16 tensor stored as {arr.dtype}")
            return torch.from_numpy(arr.copy()).view(torch.bfloat16)
        if name not in _TENSOR_DTYPES:
            raise FormatError(f"{where}: unknown tensor dtype {name!r}")
        # stored in its own dtype (a conversion could multiply its size)
        expected = torch.empty(0, dtype=_TENSOR_DTYPES[name]).numpy().dtype
        if (arr.dtype.kind, arr.dtype.itemsize) != (expected.kind, expected.itemsize):
            raise FormatError(f"{where}: a {name} tensor stored as {arr.dtype}")
        t = torch.from_numpy(np.array(arr, copy=True))
        return t.to(_TENSOR_DTYPES[name])

    @staticmethod
    def _plain_dtype(text, where):
        if not isinstance(text, str):
            raise FormatError(f"{where}: a dtype stored as {text!r}")
        dtype = np.dtype(text)
        if dtype.fields is not None or dtype.subdtype is not None:
            raise FormatError(f"{where}: structured dtype")
        return dtype

    def _dtype(self, v, where):
        return self._plain_dtype(v["$dtype"], where)

    def _random_state(self, v, where):
        state = self.value(v["$random_state"], where)
        rs = np.random.RandomState()
        rs.set_state(state)
        return rs

    def _generator(self, v, where):
        state = self.value(v["$generator"], where)
        bit_cls = _BIT_GENERATORS.get(state.get("bit_generator"))
        if bit_cls is None:
            raise FormatError(f"{where}: unknown bit generator")
        bit = bit_cls()
        bit.state = state
        return np.random.Generator(bit)

    def _type(self, v, where):
        return self._class(v["$type"], where, instance=False)

    def _dimension(self, v, where):
        from skopt.space import Dimension

        cls = self._class(v["$dimension"], where)
        if not issubclass(cls, Dimension):
            raise FormatError(f"{where}: {cls.__name__} is not a search dimension")
        args = self.value(v["args"], where)
        return cls(**args)

    @staticmethod
    def _pandas():
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("the file holds pandas indexes or time stamps "
                              "(of a forecaster fitted on pandas data); install "
                              "pandas to load it") from None
        return pd

    def _pd_name(self, v, where):
        name = self.value(v.get("name"), where)
        hash(name)  # a TypeError (so a FormatError) for a list, a dict
        return name

    def _pd_tz(self, v, where):
        tz = v.get("tz")
        if tz is not None and not (isinstance(tz, str) and _TZ_NAME.fullmatch(tz)):
            raise FormatError(f"{where}: bad time zone {tz!r}")
        return tz

    def _pd_freq(self, v, where):
        freq = v.get("freq")
        if freq is None:
            return None
        if not isinstance(freq, str):
            raise FormatError(f"{where}: bad frequency {freq!r}")
        from pandas.tseries.frequencies import to_offset

        return to_offset(freq)

    def _pd_range(self, v, where):
        pd = self._pandas()
        start, stop, step = (int(n) for n in v["$pd_range"])
        return pd.RangeIndex(start, stop, step, name=self._pd_name(v, where))

    def _pd_datetimes(self, v, where):
        pd = self._pandas()
        arr = self._array(v["$pd_datetimes"])
        if arr.dtype.kind != "M":
            raise FormatError(f"{where}: dates stored as {arr.dtype}")
        index = pd.DatetimeIndex(arr, name=self._pd_name(v, where))
        tz = self._pd_tz(v, where)
        if tz is not None:
            index = index.tz_localize("UTC").tz_convert(tz)
        freq = self._pd_freq(v, where)
        return index if freq is None else pd.DatetimeIndex(index, freq=freq)

    def _pd_timedeltas(self, v, where):
        pd = self._pandas()
        arr = self._array(v["$pd_timedeltas"])
        if arr.dtype.kind != "m":
            raise FormatError(f"{where}: durations stored as {arr.dtype}")
        return pd.TimedeltaIndex(arr, freq=self._pd_freq(v, where),
                                 name=self._pd_name(v, where))

    def _period_dtype(self, v, where):
        pd = self._pandas()
        freq = v.get("freq")
        if not isinstance(freq, str):
            raise FormatError(f"{where}: bad period frequency {freq!r}")
        try:
            return pd.PeriodDtype(freq)
        except (TypeError, ValueError, AttributeError) as exc:
            raise FormatError(f"{where}: bad period frequency {freq!r} ({exc})") from None

    def _pd_periods(self, v, where):
        pd = self._pandas()
        arr = self._array(v["$pd_periods"])
        if arr.dtype != np.int64 or arr.ndim != 1:
            raise FormatError(f"{where}: periods stored as {arr.dtype}, {arr.ndim}-D")
        dtype = self._period_dtype(v, where)
        return pd.PeriodIndex(pd.arrays.PeriodArray(arr.copy(), dtype=dtype),
                              name=self._pd_name(v, where))

    def _pd_period(self, v, where):
        pd = self._pandas()
        ordinal = v["$pd_period"]
        if isinstance(ordinal, bool) or not isinstance(ordinal, int) or \
                abs(ordinal) > 2**62:
            raise FormatError(f"{where}: bad period {ordinal!r}")
        dtype = self._period_dtype(v, where)
        return pd.Period(ordinal=ordinal, freq=dtype.freq)

    def _pd_index(self, v, where):
        pd = self._pandas()
        values = self.value(v["$pd_index"], where)
        dtype = v.get("dtype")
        if dtype in _PD_TEXT_DTYPES:
            if not isinstance(values, np.ndarray) or values.dtype != object:
                raise FormatError(f"{where}: a text index stored as {type(values)}")
        else:
            dtype = self._plain_dtype(dtype, where)
            if dtype.kind not in "biuf" or not isinstance(values, np.ndarray):
                raise FormatError(f"{where}: an index of dtype {dtype}")
        return pd.Index(values, dtype=dtype, name=self._pd_name(v, where))

    def _pd_timestamp(self, v, where):
        pd = self._pandas()
        stamp = self.value(v["$pd_timestamp"], where)
        if not isinstance(stamp, np.datetime64):
            raise FormatError(f"{where}: a time stamp stored as {stamp!r}")
        out = pd.Timestamp(stamp)
        tz = self._pd_tz(v, where)
        return out if tz is None else out.tz_localize("UTC").tz_convert(tz)

    def _pd_timedelta(self, v, where):
        pd = self._pandas()
        delta = self.value(v["$pd_timedelta"], where)
        if not isinstance(delta, np.timedelta64):
            raise FormatError(f"{where}: a duration stored as {delta!r}")
        return pd.Timedelta(delta)

    def _pd_offset(self, v, where):
        self._pandas()
        return self._pd_freq({"freq": v["$pd_offset"]}, where)

    def _logbook(self, v, where):
        from deap.tools import Logbook

        records = self._list(v["$logbook"], where)
        if not all(isinstance(row, dict) for row in records):
            raise FormatError(f"{where}: a logbook record is not a dict")
        out = Logbook()
        out.extend(records)
        header = self.value(v.get("header"), where)
        if header is not None and not all(isinstance(h, str) for h in header):
            raise FormatError(f"{where}: bad logbook header")
        out.header = header
        out.log_header = bool(v.get("log_header", True))
        out.buffindex = int(v.get("buffindex", len(records)))
        for name, chapter in v.get("chapters", {}).items():
            out.chapters[name] = self._logbook(chapter, f"{where}.chapters[{name!r}]")
        return out

    def _object(self, v, where):
        cls = self._class(v["$object"], where)
        if hasattr(cls, "get_params"):
            raise FormatError(f"{where}: an estimator stored as a plain object")
        problem = _layout_problem(cls)
        if problem is not None:
            raise FormatError(f"{where}: {cls.__name__} is stored as attributes, "
                              f"but {problem}")
        attrs = self._attributes(cls, v["attrs"], where)
        # as pickle does by default, but without __reduce__ or __setstate__:
        # a bare instance gets the stored attributes, nothing of the class runs
        obj = cls.__new__(cls)
        vars(obj).update(attrs)
        return obj

    def _attributes(self, cls, attrs, where, params=()):
        """Decoded instance attributes; none may hide a method or property,
        or a constructor parameter."""
        if not isinstance(attrs, dict):
            raise FormatError(f"{where}: the attributes are not a dict")
        out = {}
        for key, x in attrs.items():
            static = inspect.getattr_static(cls, key, None)
            if key.startswith("__") or callable(static) or hasattr(static, "__get__"):
                raise FormatError(
                    f"{where}: the attribute {key!r} would hide what the class "
                    f"{cls.__name__} defines under that name"
                )
            if key in params:
                raise FormatError(f"{where}: {key!r} is stored both as a parameter "
                                  "and as an attribute")
            out[key] = self.value(x, f"{where}.{key}")
        return out

    def _estimator(self, v, where):
        name = v["$estimator"]
        cls = self._class(name, where)
        if not hasattr(cls, "get_params"):
            raise FormatError(f"{where}: {name} is not an estimator")
        problem = _layout_problem(cls)
        if problem is not None:
            raise FormatError(f"{where}: {cls.__name__} is stored as attributes, "
                              f"but {problem}")
        label = f"{where} ({cls.__name__})"
        raw_params = v["params"]
        if not isinstance(raw_params, dict):
            raise FormatError(f"{label}: the parameters are not a dict")
        params = {k: self.value(x, f"{label}.{k}") for k, x in raw_params.items()}
        state = self._attributes(cls, v["state"], label, params)
        if "net_" in state:
            raise FormatError(f"{label}: a network stored as an attribute")
        if cls.__module__.startswith("sklstm."):
            self._check_sklstm_params(cls, params, label)
        if "device" in params and cls.__module__.startswith("sklstm."):
            params["device"] = self._device(cls, params["device"])
        obj = cls(**params)
        vars(obj).update(state)
        if v.get("metadata_request") is not None:
            self._metadata_requests(obj, v["metadata_request"], label)
        if "net" in v:
            if not _is_lstm(obj):
                raise FormatError(f"{where}: a network stored for {name}")
            self._rebuild_net(obj, v["net"], label)
        if _is_search(obj) and hasattr(obj, "cv_results_"):
            obj.scorer_ = obj._scorers()[2]
        return obj

    def _check_sklstm_params(self, cls, params, where):
        """Refuse thread counts above the limit; clear a search's checkpoint
        path unless ``keep_checkpoint`` (the file's author chose it, and
        fitting the loaded search would write there)."""
        threads = params.get("n_threads")
        if isinstance(threads, numbers.Real) and not isinstance(threads, bool) \
                and threads > self.limits["n_threads"]:
            raise _over_limit(f"{where}:", "n_threads asks for", threads,
                              "n_threads", self.limits, unit="threads")
        from .search._base import _BaseSearch

        if issubclass(cls, _BaseSearch) and params.get("checkpoint") is not None \
                and not self.keep_checkpoint:
            self.cleared.append(params["checkpoint"])
            params["checkpoint"] = None

    def _metadata_requests(self, obj, saved, where):
        requests = self.value(saved, f"{where}._metadata_request")
        if not isinstance(requests, dict):
            raise FormatError(f"{where}: bad metadata requests")
        # the estimator's own default requests, then the stored choices, each
        # checked by scikit-learn as set_*_request checks them
        request = obj._get_metadata_request()
        for method, chosen in requests.items():
            part = vars(request).get(method)
            if method == "owner" or not hasattr(part, "add_request") or not (
                    isinstance(chosen, dict)):
                raise FormatError(f"{where}: a metadata request for {method!r}")
            for param, alias in chosen.items():
                if not (alias is None or isinstance(alias, (bool, str))):
                    raise FormatError(f"{where}: the metadata alias {alias!r}")
                part.add_request(param=param, alias=alias)
        obj._metadata_request = request

    def _device(self, cls, saved):
        if self.device is not None:
            return self.device
        from ._estimators import _resolve_device

        try:
            _resolve_device(saved)
        except ValueError:
            self.fallback.append((cls.__name__, saved))
            return "cpu"
        return saved

    def _rebuild_net(self, est, saved, where):
        from skorch.history import History

        from ._training import TORCH_RNG_LOCK, SequenceDataset, check_model_size

        output_size = self.value(saved["output_size"], where)
        if isinstance(output_size, bool) or not isinstance(output_size, int) or \
                output_size < 1:
            raise FormatError(f"{where}: bad output size {output_size!r}")
        try:
            # the parameters the network is built from, checked as fit checks
            # them, before anything is allocated
            est._validate_params()
        except (TypeError, ValueError) as exc:
            raise FormatError(f"{where}: the stored parameters are not valid "
                              f"({exc})") from None
        states = {}
        for key in ("module", "criterion", "optimizer", "lr_scheduler", "history",
                    "iterator_rng"):
            states[key] = self.value(saved.get(key), f"{where}.net_.{key}")
            _check_plain(states[key], f"{where}.net_.{key}")
        module_state, criterion_state = states["module"], states["criterion"]
        optimizer_state = states["optimizer"]
        if not all(isinstance(states[k], dict)
                   for k in ("module", "criterion", "optimizer")):
            raise FormatError(f"{where}: a network state is not a dict")
        criterion_kwargs = dict(criterion_state)
        n = 1
        if est.early_stopping:
            # _build_net holds out a validation split of the data it is given;
            # a placeholder is split here (fit splits the real data again)
            n = max(2, math.ceil(1 / (1 - est.validation_fraction)) + 1)
            if n > _MAX_PLACEHOLDER:
                raise FormatError(f"{where}: validation_fraction="
                                  f"{est.validation_fraction!r} is too close to 1")
        regression = not hasattr(est, "classes_")
        y = np.zeros((n, 1), np.float32) if regression else np.zeros(n, np.int64)
        # one feature and one output whatever the network's: the data only
        # feeds the split (so a crafted output size allocates nothing before
        # check_model_size), the sizes come from the estimator's attributes
        placeholder = SequenceDataset(
            np.zeros((n, 1, 1), np.int64 if est.embedding_dim is not None
                     else np.float32),
            np.ones(n, np.int64), y,
        )
        with TORCH_RNG_LOCK, torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            net, _ = est._build_net(placeholder, output_size, 0, criterion_kwargs)
            try:
                check_model_size(net, type(est).__name__)
            except ValueError as exc:
                raise FormatError(f"{where}: {exc}") from None
            self._check_net_size(net, module_state, where)
            net.initialize()
        try:
            net.module_.load_state_dict(module_state)
            net.criterion_.load_state_dict(criterion_state)
            net.optimizer_.load_state_dict(optimizer_state)
        except (RuntimeError, KeyError, ValueError, TypeError) as exc:
            raise FormatError(
                f"{where}: the stored network does not fit the one its "
                f"parameters build ({exc})"
            ) from None
        history = states["history"]
        if not isinstance(history, list) or not all(isinstance(r, dict) for r in history):
            raise FormatError(f"{where}: the training history is not a list of dicts")
        net.history = History(history)
        if not saved.get("has_train_split", True):
            net.train_split = None
        if states["iterator_rng"] is not None:
            net.iterator_train__rng.bit_generator.state = states["iterator_rng"]
        scheduler_state = states["lr_scheduler"]
        callback = dict(net.callbacks_).get("lr_schedule")
        if scheduler_state is not None and callback is not None:
            # build the torch scheduler as the callback does at the start of
            # training, then give it the stored state and the stored rates
            lrs = [group["lr"] for group in net.optimizer_.param_groups]
            callback.on_train_begin(net)
            scheduler = callback.lr_scheduler_
            # torch copies the state into the scheduler's attributes: none may
            # replace its optimizer or hide one of its methods
            if not isinstance(scheduler_state, dict):
                raise FormatError(f"{where}: the scheduler state is not a dict")
            self._attributes(type(scheduler), {k: None for k in scheduler_state},
                             f"{where}.net_.lr_scheduler", params=("optimizer",))
            scheduler.load_state_dict(scheduler_state)
            for group, lr in zip(net.optimizer_.param_groups, lrs):
                group["lr"] = lr
        est.net_ = net

    def _check_net_size(self, net, module_state, where):
        """Refuse a network larger than ``limits["n_parameters"]``, or than
        the weights the file stores for it, before anything is allocated."""
        try:
            params = net.get_params_for("module")
            with torch.random.fork_rng(devices=[]), torch.device("meta"):
                module = net.module(**params)
        except Exception:  # pragma: no cover - check_model_size built it so
            return
        n = sum(p.numel() for p in module.parameters())
        if n > self.limits["n_parameters"]:
            raise _over_limit(f"{where}:", "would build a network of", n,
                              "n_parameters", self.limits, unit="parameters")
        stored = sum(t.numel() for t in module_state.values()
                     if isinstance(t, torch.Tensor))
        if n > stored:
            raise FormatError(
                f"{where}: its parameters would build a network of {n:,} "
                f"parameters, but the file stores {stored:,} weights for it"
            )


def _check_plain(value, where):
    """Refuse anything but data (numbers, strings, arrays, tensors and
    containers of them) in the state of a network.

    torch's ``load_state_dict`` of schedulers copies whatever it is given
    into the scheduler's attributes, so a class there could later be called
    in place of a method.
    """
    stack = [value]
    while stack:
        x = stack.pop()
        if x is None or isinstance(x, (bool, int, float, str, torch.Tensor, np.generic)):
            continue
        if type(x) is np.ndarray:
            if x.dtype == object:
                stack.extend(x.ravel().tolist())
            continue
        if type(x) in (list, tuple):
            stack.extend(x)
        elif type(x) is dict:
            stack.extend(x)
            stack.extend(x.values())
        else:
            raise FormatError(f"{where} holds {type(x).__name__!r}, where only "
                              "numbers, strings, arrays and tensors belong")


_TAGS = {
    "$float": _Reader._float, "$complex": _Reader._complex,
    "$bytes": _Reader._bytes, "$path": _Reader._path, "$tuple": _Reader._tuple,
    "$set": _Reader._set, "$dict": _Reader._dict, "$items": _Reader._items,
    "$scalar": _Reader._scalar, "$scalar_array": _Reader._scalar_array,
    "$array": _Reader._plain_array, "$objarray": _Reader._objarray,
    "$masked": _Reader._masked, "$tensor": _Reader._tensor,
    "$dtype": _Reader._dtype, "$random_state": _Reader._random_state,
    "$generator": _Reader._generator, "$type": _Reader._type,
    "$dimension": _Reader._dimension, "$object": _Reader._object,
    "$estimator": _Reader._estimator, "$logbook": _Reader._logbook,
    "$pd_range": _Reader._pd_range, "$pd_datetimes": _Reader._pd_datetimes,
    "$pd_timedeltas": _Reader._pd_timedeltas, "$pd_index": _Reader._pd_index,
    "$pd_timestamp": _Reader._pd_timestamp, "$pd_timedelta": _Reader._pd_timedelta,
    "$pd_offset": _Reader._pd_offset,
    "$pd_periods": _Reader._pd_periods, "$pd_period": _Reader._pd_period,
}


def _open(path):
    label = "the file" if hasattr(path, "read") else repr(os.fspath(path))
    try:
        if hasattr(path, "read"):
            head = path.read(4)
            path.seek(0)
        else:
            with open(path, "rb") as f:
                head = f.read(4)
    except IsADirectoryError:
        raise FormatError(f"{label} is a directory, not an sklstm model file") from None
    if head[:1] == b"\x80":
        raise FormatError(
            f"{label} looks like a pickle, not an sklstm model file; "
            "sklstm.persistence.load never unpickles (only load pickles you "
            "trust, with pickle or joblib)."
        )
    try:
        return zipfile.ZipFile(path), label
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise FormatError(
            f"{label} is not an sklstm model file, or it is truncated or "
            f"damaged ({exc})."
        ) from None


class _LimitError(FormatError):
    """A file over a limit of :func:`load` (not a damaged one)."""


def _over_limit(label, what, size, key, limits, unit="bytes"):
    return _LimitError(
        f"{label} {what} {size:,} {unit}, more than load accepts "
        f"({key}={limits[key]:,}; see sklstm.persistence.DEFAULT_LIMITS). If "
        f"you trust the file, raise the limit: load(..., limits={{{key!r}: "
        f"{size}}})."
    )


def _check_parts(archive, label, limits):
    """Refuse an archive whose parts are not what :func:`save` writes, or
    larger than ``limits``, from its directory alone (nothing is read).

    Duplicate names are refused because zip tools show the first part of a
    name and :mod:`zipfile` reads the last: inspecting a file could show
    another model than the one that loads.
    """
    infos = archive.infolist()
    seen = set()
    for info in infos:
        if info.filename in seen:
            raise FormatError(
                f"{label} holds two parts named {info.filename!r}; save never "
                "writes such a file, and other zip tools could show another "
                "part than the one load would read. " + _REWRITE_HINT
            )
        seen.add(info.filename)
    if _DOCUMENT not in seen:
        return  # _read_document says what the file looks like
    total = 0
    for info in infos:
        name = info.filename
        if name != _DOCUMENT and not _ARRAY_PART.fullmatch(name):
            raise FormatError(f"{label} holds the part {name!r}, which save never "
                              "writes. " + _REWRITE_HINT)
        if info.flag_bits & 0x1:
            raise FormatError(f"{label}: its part {name!r} is encrypted, which "
                              "save never writes. " + _REWRITE_HINT)
        if info.compress_type not in _METHODS:
            method = _METHOD_NAMES.get(info.compress_type,
                                       f"method {info.compress_type}")
            raise FormatError(
                f"{label}: its part {name!r} is compressed with {method}; load "
                "reads only parts stored or compressed with deflate, as save "
                "writes them. " + _REWRITE_HINT
            )
        key = "document_size" if name == _DOCUMENT else "array_size"
        if info.file_size > limits[key]:
            raise _over_limit(label, f"declares its part {name!r} as",
                              info.file_size, key, limits)
        total += info.file_size
    if total > limits["total_size"]:
        raise _over_limit(label, "declares parts of", total, "total_size", limits)


def _read_part(archive, name):
    """The bytes of the part ``name``: never more than its declared size
    (checked by :func:`_check_parts`), decompressed a piece at a time."""
    info = archive.getinfo(name)
    chunks, size = [], 0
    with archive.open(info) as f:
        # zipfile stops at the declared size and checks the CRC there
        while size < info.file_size:
            chunk = f.read(min(_CHUNK, info.file_size - size))
            if not chunk:
                raise EOFError(f"the part {name!r} ends early")
            chunks.append(chunk)
            size += len(chunk)
        if f.read(1):  # pragma: no cover - zipfile stops at the declared size
            raise EOFError(f"the part {name!r} is longer than it declares")
    return b"".join(chunks)


def _npy_array(data, name):
    """The array of the ``.npy`` bytes ``data``, its header checked first:
    the shape and dtype it declares must be exactly the data it holds."""
    f = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"the .npy format version {version} is not one "
                             "save writes")
    except (ValueError, EOFError, SyntaxError, TypeError) as exc:
        raise FormatError(f"the part {name!r} is not a plain .npy array "
                          f"({exc})") from None
    if dtype.hasobject:
        raise FormatError(f"the part {name!r} is not a plain .npy array (an "
                          "object array, which needs pickle)")
    declared = math.prod(shape) * dtype.itemsize
    held = len(data) - f.tell()
    if declared != held:
        raise FormatError(
            f"the part {name!r} declares an array of shape {shape} and dtype "
            f"{dtype} ({declared:,} bytes) but holds {held:,} bytes"
        )
    f.seek(0)
    try:
        # read_array reads the .npy format only (np.load would also open an
        # .npz archive), and never unpickles
        return np.lib.format.read_array(f, allow_pickle=False)
    except (ValueError, EOFError) as exc:  # pragma: no cover - checked above
        raise FormatError(f"the part {name!r} is not a plain .npy array "
                          f"({exc})") from None


def _read_document(archive, label):
    try:
        data = _read_part(archive, _DOCUMENT)
    except KeyError:
        names = archive.namelist()
        what = ""
        if any(name.endswith(".pkl") for name in names):
            what = (" It holds pickles (a file of torch.save?), which "
                    "sklstm.persistence.load never unpickles.")
        elif any(name.endswith(".npy") for name in names):
            what = " It looks like a NumPy .npz file."
        raise FormatError(f"{label} is a zip archive but not an sklstm model "
                          f"file: it has no {_DOCUMENT}.{what}") from None
    except _DAMAGED as exc:
        raise FormatError(f"{label} is truncated or damaged ({exc}).") from None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FormatError(f"{label} is damaged: its {_DOCUMENT} is not valid "
                          f"JSON ({type(exc).__name__}: {exc}).") from None


def load(path, *, device=None, trusted=(), limits=None, keep_checkpoint=False):
    """Load an estimator, pipeline or search saved by :func:`save`.

    No code from the file runs: the document is read as JSON, arrays with
    ``allow_pickle=False``, and only classes of the allowlist (see
    :func:`allowed_classes`) and ``trusted`` are rebuilt, through their
    constructors with the stored parameters, never through ``__reduce__``
    or ``__setstate__``.

    Parameters
    ----------
    path : str, path-like or binary file object
        The file written by :func:`save`.
    device : str or None, default=None
        Torch device of the loaded networks; also set as their ``device``
        parameter. ``None`` keeps the saved ``device`` where it can be used
        here and falls back to ``"cpu"`` (with a warning) where it cannot,
        so that a model trained on a GPU loads on a machine without one.
    trusted : sequence of class or str, default=()
        More classes to accept, as classes or full dotted names; only name
        classes you trust (their constructors run with parameters from the
        file). A file written with ``trusted=`` needs the same here.
    limits : dict or None, default=None
        Raise (or lower) the limits of :data:`DEFAULT_LIMITS` on what the
        file may hold: ``"total_size"``, ``"array_size"`` and
        ``"document_size"`` (bytes, uncompressed), ``"n_parameters"`` (of a
        network) and ``"n_threads"``. Keys left out keep their defaults. A
        file over a limit is refused, from what it declares, before it is
        read. Raise a limit only for a file you trust.
    keep_checkpoint : bool, default=False
        Whether a loaded :class:`~sklstm.BayesSearchCV` or
        :class:`~sklstm.GeneticSearchCV` keeps the ``checkpoint`` path
        stored in the file. By default it is set to ``None`` (with a
        warning naming the path), because the file's author chose that
        path and fitting the loaded search would write there. Pass ``True``
        for a file you wrote yourself, or set the path again with
        ``set_params(checkpoint=...)``.

    Returns
    -------
    obj : estimator
        The rebuilt object. On the device it was saved from, its networks
        predict exactly as the saved ones.

    Raises
    ------
    UntrustedTypeError
        If the file names a class that is not allowed, before any object of
        it is built.
    FormatError
        If the file is not an sklstm model file (a pickle, for instance), is
        truncated or damaged, declares more than ``limits`` allow, or was
        written in a newer format version.
    ImportError
        If the file holds pandas indexes (a forecaster fitted on pandas
        data) and pandas is not installed.

    See Also
    --------
    save : Write such a file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklstm import LSTMRegressor
    >>> from sklstm.persistence import save, load
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.normal(size=(8, 5, 1)).astype("float32"), rng.normal(size=8)
    >>> reg = LSTMRegressor(hidden_size=4, conv_filters=0, max_epochs=1,
    ...                     random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "reg.sklstm")
    >>> save(reg, path)
    >>> loaded = load(path, device="cpu")
    >>> np.array_equal(loaded.predict(X), reg.predict(X))
    True
    """
    if device is not None and not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'cpu', not {device!r}")
    if device is not None:
        from ._estimators import _resolve_device

        _resolve_device(device)  # a clear error for a device not usable here
    allowed, type_only = _resolve_trusted(trusted)
    limits = _resolve_limits(limits)
    archive, label = _open(path)
    with archive:
        try:
            _check_parts(archive, label, limits)
        except _LimitError as exc:
            raise FormatError(str(exc)) from None
        document = _read_document(archive, label)
        if not isinstance(document, dict) or document.get("format") != _FORMAT_NAME:
            raise FormatError(f"{label} is not an sklstm model file: its "
                              f"{_DOCUMENT} is not one save writes.")
        version = document.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise FormatError(f"{label} has no valid format version ({version!r}). "
                              + _REWRITE_HINT)
        versions = document.get("versions")
        versions = versions if isinstance(versions, dict) else {}
        if version > FORMAT_VERSION:
            raise FormatError(
                f"{label} was written in format version {version} (by sklstm "
                f"{versions.get('sklstm', '?')}); this sklstm reads versions up to "
                f"{FORMAT_VERSION}. Upgrade sklstm to load it."
            )
        saved_sklearn = versions.get("scikit-learn")
        if saved_sklearn not in (None, _SKLEARN_VERSION):
            warn_caller(
                f"{label} was saved with scikit-learn {saved_sklearn} and is "
                f"loaded with scikit-learn {_SKLEARN_VERSION}; the fitted "
                "attributes of scikit-learn objects may differ between versions. "
                "Check the loaded model's predictions."
            )
        reader = _Reader(archive, allowed, type_only, device, label, limits,
                         bool(keep_checkpoint))
        try:
            obj = reader.value(document.get("object"))
        except UntrustedTypeError:
            raise
        except _LimitError as exc:
            # a file over a limit is not damaged: no hint to save it again
            raise FormatError(f"{label} cannot be loaded: {exc}") from None
        except FormatError as exc:
            raise FormatError(f"{label} cannot be loaded: {exc}. "
                              + _REWRITE_HINT) from None
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise FormatError(f"{label} is truncated or damaged ({exc}).") from None
        except (KeyError, TypeError, ValueError, IndexError, AttributeError,
                RecursionError, OverflowError, MemoryError) as exc:
            raise FormatError(
                f"{label} holds a malformed model description "
                f"({type(exc).__name__}: {exc}). " + _REWRITE_HINT
            ) from None
    if reader.cleared:
        paths = ", ".join(sorted({repr(os.fspath(p)) if isinstance(p, (str, os.PathLike))
                                  else repr(p) for p in reader.cleared}))
        warn_caller(
            f"{label} holds a search with checkpoint={paths}; it is loaded with "
            "checkpoint=None, so that fitting it writes nowhere the file chose. "
            "Set the path again with set_params(checkpoint=...), or pass "
            "keep_checkpoint=True to load for a file you wrote yourself."
        )
    if reader.fallback:
        moved = ", ".join(sorted({f"{name} (device={dev!r})"
                                  for name, dev in reader.fallback}))
        warn_caller(
            f"{moved} cannot run on a device here; loaded on the CPU, and "
            "device='cpu' is set. Pass device= to load to choose another."
        )
    return obj
