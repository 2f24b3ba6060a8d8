"""Export fitted estimators to ONNX, to serve them without Python or torch.

:func:`to_onnx` turns a fitted :class:`~sklstm.LSTMClassifier` or
:class:`~sklstm.LSTMRegressor` into an ONNX model that computes what
``predict_proba`` / ``predict`` compute, for any batch size and any number of
time steps, on equal-length and on padded (ragged) batches alike.

The fitted network decides at run time whether a batch is ragged and then
packs it; a traced graph would freeze that choice. The export therefore goes
through a separate module, built from the fitted weights, that computes the
same function with masks only: every recurrent layer runs over the whole
padded batch (a forward recurrence never sees the padding behind a sample's
last valid step), and the backward direction of a bidirectional layer reads
each sample reversed within its own length (a gather), so that it too starts
at the sample's last valid step.
"""

import copy
import inspect
import io
import json
import warnings

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn
from torch.nn import functional as F

from ._estimators import LSTMClassifier, LSTMRegressor
from ._forecaster import LSTMForecaster
from ._modules import ConvBranch, SequenceNet

__all__ = ["to_onnx"]

# the opset written when none is asked for: read by every onnxruntime release
# of the last years, and by the TorchScript exporter of every supported torch
DEFAULT_OPSET = 17
MIN_OPSET = 13

_INSTALL_HINT = (
    "Exporting to ONNX needs the optional package onnx (and onnxruntime to "
    "run the exported model): pip install onnx onnxruntime"
)


def _reversal_index(lengths, steps):
    """``(batch, steps)`` index reading each sample backwards within its length.

    Step ``t < length`` maps to ``length - 1 - t``; padded steps map to
    themselves, so they stay behind the valid ones. The index is its own
    inverse.
    """
    arange = torch.arange(steps, device=lengths.device).view(1, -1)
    lengths = lengths.view(-1, 1)
    return torch.where(arange < lengths, lengths - 1 - arange, arange)


def _gather_steps(x, index):
    """``x[b, index[b, t], :]`` for ``x`` of shape ``(batch, steps, width)``."""
    return x.gather(1, index.unsqueeze(2).expand(-1, -1, x.shape[2]))


# the parts of a SequenceNet that _ExportableNet recomputes (dropout is the
# identity at inference). A part added to SequenceNet later is refused, not
# silently left out of the model.
_EXPORTED_PARTS = {"embedding", "rnn", "attention", "conv", "dropout", "head"}
_POOLINGS = {"last", "mean", "max", "attention"}


def _check_exportable(net):
    """Raise a ValueError naming what of ``net`` the export cannot reproduce."""
    if not isinstance(net, SequenceNet):
        raise ValueError(
            f"to_onnx exports sklstm's SequenceNet; the fitted module is a "
            f"{type(net).__name__}."
        )
    unknown = sorted(set(dict(net.named_children())) - _EXPORTED_PARTS)
    problems = [f"part(s) {unknown}"] if unknown else []
    if type(net.rnn) not in (nn.LSTM, nn.GRU):
        problems.append(f"a {type(net.rnn).__name__} recurrent layer")
    elif getattr(net.rnn, "proj_size", 0):
        problems.append("an LSTM projection (proj_size)")
    if net.pooling not in _POOLINGS:
        problems.append(f"pooling={net.pooling!r}")
    if net.conv is not None and (
        type(net.conv) is not ConvBranch
        or set(dict(net.conv.named_children())) != {"convs", "norms"}
    ):
        problems.append("a modified convolutional branch")
    if not isinstance(net.dropout, nn.Dropout):
        problems.append(f"a {type(net.dropout).__name__} before the head")
    if problems:
        raise ValueError(
            "to_onnx cannot export this network: it has "
            + ", ".join(problems) + ", which the export does not reproduce."
        )


def _single_layer(rnn, layer, reverse):
    """One direction of one layer of ``rnn`` as its own one-layer RNN."""
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    weight_ih = getattr(rnn, "weight_ih" + suffix)
    has_bias = hasattr(rnn, "bias_ih" + suffix)
    out = type(rnn)(
        input_size=weight_ih.shape[1], hidden_size=rnn.hidden_size,
        num_layers=1, bias=has_bias, batch_first=True,
    )
    names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if has_bias else [])
    with torch.no_grad():
        for name in names:
            getattr(out, name + "_l0").copy_(getattr(rnn, name + suffix))
    return out


class _ExportableNet(nn.Module):
    """The fitted ``SequenceNet`` recomputed with masks instead of packing.

    Takes ``x`` of shape ``(batch, steps, features)`` (float) or ``(batch,
    steps)`` (token ids) and ``lengths`` of shape ``(batch,)``, and returns
    the network's raw outputs (logits or predictions), the same for a sample
    alone or in any padded batch.
    """

    def __init__(self, net, n_tokens=None):
        super().__init__()
        _check_exportable(net)
        # a copy: the estimator's own module keeps its device and mode
        net = copy.deepcopy(net).cpu().float().eval()
        rnn = net.rnn
        self.embedding = net.embedding
        self.n_tokens = n_tokens
        self.patch_size = int(net.patch_size)
        self.pooling = net.pooling
        self.bidirectional = bool(rnn.bidirectional)
        self.forward_layers = nn.ModuleList(
            _single_layer(rnn, k, False) for k in range(rnn.num_layers)
        )
        self.backward_layers = nn.ModuleList(
            _single_layer(rnn, k, True) for k in range(rnn.num_layers)
        ) if self.bidirectional else None
        self.attention = net.attention
        self.conv = net.conv
        self.head = net.head

    def forward(self, x, lengths):
        steps = x.shape[1]
        valid = torch.arange(steps, device=x.device).view(1, -1) < lengths.view(-1, 1)
        if self.embedding is not None:
            # unseen ids read as 1 (out of vocabulary), as in predict; the
            # padding is read as id 0 whatever it holds
            unknown = (x >= self.n_tokens) | (x < 0)
            x = torch.where(unknown, torch.ones_like(x), x)
            x = torch.where(valid, x, torch.zeros_like(x))
            x = self.embedding(x)
        # where, not a product: padding that holds NaN or inf is dropped too
        x = torch.where(valid.unsqueeze(2), x, torch.zeros_like(x))
        pooled = self._recurrent(*self._patch(x, lengths))
        if self.conv is not None:
            pooled = torch.cat([pooled, self._conv(x, lengths, valid)], dim=1)
        return self.head(pooled)

    def _patch(self, x, lengths):
        size = self.patch_size
        if size == 1:
            return x, lengths
        batch, steps, features = x.shape
        # not _modules.patch: its Python test of the number of steps would be
        # frozen by the trace. Always append size - 1 zero steps (completing a
        # partial last patch), then keep whole patches only
        fill = torch.zeros_like(x[:, :1]).expand(-1, size - 1, -1)
        x = torch.cat([x, fill], dim=1)
        x = x[:, : (steps + size - 1) // size * size]
        return (
            x.reshape(batch, -1, size * features),
            torch.div(lengths + size - 1, size, rounding_mode="floor"),
        )

    def _recurrent(self, x, lengths):
        steps = x.shape[1]
        reverse = _reversal_index(lengths, steps) if self.bidirectional else None
        h = x
        for k, forward_rnn in enumerate(self.forward_layers):
            out, _ = forward_rnn(h)
            if self.bidirectional:
                back, _ = self.backward_layers[k](_gather_steps(h, reverse))
                out = torch.cat([out, _gather_steps(back, reverse)], dim=2)
            h = out
        last = (lengths - 1).view(-1, 1, 1)
        if self.pooling == "last":
            if self.bidirectional:
                half = h.shape[2] // 2
                fwd = h[:, :, :half].gather(1, last.expand(-1, 1, half)).squeeze(1)
                return torch.cat([fwd, h[:, 0, half:]], dim=1)
            return h.gather(1, last.expand(-1, 1, h.shape[2])).squeeze(1)
        mask = (torch.arange(steps, device=x.device).view(1, -1)
                < lengths.view(-1, 1)).unsqueeze(2)
        if self.pooling == "attention":
            scores = self.attention(h).masked_fill(~mask, float("-inf"))
            weights = torch.softmax(scores, dim=1)
            return (weights * h).sum(1)
        if self.pooling == "mean":
            return (h * mask.to(h.dtype)).sum(1) / lengths.view(-1, 1).to(h.dtype)
        return h.masked_fill(~mask, float("-inf")).max(1).values

    def _conv(self, x, lengths, valid):
        h = x.transpose(1, 2)  # (batch, features, steps), padding already zero
        mask = valid.unsqueeze(1).to(h.dtype)
        for conv, norm in zip(self.conv.convs, self.conv.norms):
            k = conv.kernel_size[0]
            h = F.pad(h, ((k - 1) // 2, k // 2))
            h = torch.relu(norm(conv(h))) * mask
        return h.sum(dim=2) / lengths.view(-1, 1).to(h.dtype)


class _Served(nn.Module):
    """The exported graph: inputs and outputs as the documentation names them."""

    def __init__(self, net, *, classifier, flat_output, fixed_steps=None,
                 target_mean=None, target_scale=None):
        super().__init__()
        self.net = net
        self.classifier = classifier
        self.flat_output = flat_output
        self.fixed_steps = fixed_steps
        # a regressor's network predicts standardised targets
        self.rescale = target_mean is not None
        if self.rescale:
            self.register_buffer("target_mean", torch.as_tensor(
                np.asarray(target_mean, dtype=np.float32)))
            self.register_buffer("target_scale", torch.as_tensor(
                np.asarray(target_scale, dtype=np.float32)))

    def forward(self, X, lengths=None):
        if self.fixed_steps is not None:
            # fitted on 2-D rows: one univariate series of fixed length per row
            lengths = torch.ones_like(X[:, 0], dtype=torch.int64) * X.shape[1]
            X = X.unsqueeze(2)
        out = self.net(X, lengths)
        if self.classifier:
            return torch.softmax(out, dim=1), out.argmax(dim=1)
        if self.rescale:
            out = out * self.target_scale + self.target_mean
        return out.reshape(-1) if self.flat_output else out


def _check_estimator(estimator):
    if isinstance(estimator, LSTMForecaster):
        raise TypeError(
            "to_onnx exports a fitted sklstm LSTMClassifier or LSTMRegressor, "
            "got a LSTMForecaster: its windowing, scaling and recursive "
            "forecasting run in Python. to_onnx(forecaster.regressor_) "
            "exports its network alone, which reads windows the forecaster "
            "has already prepared."
        )
    if not isinstance(estimator, (LSTMClassifier, LSTMRegressor)):
        raise TypeError(
            "to_onnx exports a fitted sklstm LSTMClassifier or LSTMRegressor, "
            f"got a {type(estimator).__name__}. For a Pipeline, export its "
            "final step (pipe[-1]) and apply the other steps "
            "(pipe[:-1].transform) to the data before running the model; for "
            "a fitted search, export search.best_estimator_."
        )
    check_is_fitted(estimator, "net_")


def _torchscript_export(module, args, buffer, **kwargs):
    """``torch.onnx.export`` with the TorchScript exporter, quietly.

    The torch.export-based exporter specialises recurrent layers to the
    number of time steps of the example, so only the TorchScript one gives a
    graph whose sequence length stays free.
    """
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    with warnings.catch_warnings():
        # deprecation notices of the TorchScript exporter, and its tracer's
        # notes on shapes it reads as Python numbers (they stay dynamic)
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, buffer, **kwargs)


def to_onnx(estimator, path=None, *, opset=None):
    """Export a fitted LSTMClassifier or LSTMRegressor to an ONNX model.

    The model computes what ``predict_proba`` (classifier) or ``predict``
    (regressor) computes, for any batch size and any number of time steps,
    so it can be served with onnxruntime or any other ONNX runtime, without
    Python or torch. Padded batches of sequences of different lengths work
    through the ``lengths`` input.

    Parameters
    ----------
    estimator : LSTMClassifier or LSTMRegressor
        A fitted estimator (any ``cell``, ``bidirectional``, ``num_layers``,
        ``pooling``, ``patch_size``, ``conv_filters`` and token input with
        ``embedding_dim``). For a :class:`~sklearn.pipeline.Pipeline`,
        export its last step and apply the other steps before.
    path : str or path-like, default=None
        Where to write the model; ``None`` writes nothing.
    opset : int, default=None
        ONNX opset of the model (at least 13); ``None`` means 17.

    Returns
    -------
    model : bytes
        The serialized ONNX model (also when it is written to ``path``).

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    TypeError
        If it is not an LSTMClassifier or LSTMRegressor (a Pipeline, a
        search, an LSTMForecaster: the message says what to export instead).
    ValueError
        If ``opset`` is not an int of at least 13, or the fitted network has
        a part the export does not reproduce (the message names it).
    ImportError
        If the onnx package is missing.

    Notes
    -----
    Inputs:

    ``X``
        float32 of shape ``(batch, steps, n_features_in_)``: sequences padded
        at the end to the longest one (the padding may hold anything). For
        token input (``embedding_dim``): int64 ids of shape ``(batch,
        steps)``; ids the estimator never saw read as 1, as in ``predict``.
        For an estimator fitted on 2-D input (one univariate series per
        row): float32 of shape ``(batch, n_features_in_)``, exactly the 2-D
        array ``predict`` takes, and no ``lengths`` input.
    ``lengths``
        int64 of shape ``(batch,)``: each sample's number of valid steps
        (between 1 and ``steps``; ``steps`` for every sample of an
        equal-length batch). For a 2-D array of token ids padded with 0,
        ``predict`` takes the position of the last non-zero id plus one.

    Outputs of a classifier's model: ``probabilities``, float32 of shape
    ``(batch, n_classes)`` in the order of ``estimator.classes_``, and
    ``class_index``, int64 of shape ``(batch,)``: the column of the largest
    probability, so ``estimator.classes_[class_index]`` is the label that
    ``predict`` gives (the classes are also stored as JSON in the model's
    metadata under ``classes``). A regressor's model has one output,
    ``predictions``, float32 of shape ``(batch,)`` or ``(batch,
    n_outputs)``: the shape ``predict`` gives.

    Only the network is exported: apply any preprocessing (scaling, text
    to token ids) to the data before running the model. Results agree with
    the estimator's to about 1e-6 (float32 arithmetic in a different order).

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklstm import LSTMClassifier
    >>> from sklstm.export import to_onnx
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(20, 6, 2)).astype("float32")
    >>> y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    >>> clf = LSTMClassifier(hidden_size=4, conv_filters=0, max_epochs=1,
    ...                      random_state=0).fit(X, y)
    >>> session = ort.InferenceSession(to_onnx(clf),
    ...                                providers=["CPUExecutionProvider"])

    A ragged batch: the third sequence has 4 valid steps, then padding.

    >>> lengths = np.array([6, 6, 4], dtype=np.int64)
    >>> proba, index = session.run(None, {"X": X[:3], "lengths": lengths})
    >>> np.allclose(proba, clf.predict_proba([X[0], X[1], X[2, :4]]), atol=1e-5)
    True
    >>> clf.classes_[index].tolist() == clf.predict([X[0], X[1], X[2, :4]]).tolist()
    True
    """
    _check_estimator(estimator)
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    if opset is None:
        opset = DEFAULT_OPSET
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) or opset < MIN_OPSET:
        raise ValueError(f"opset must be an int >= {MIN_OPSET} (or None for "
                         f"{DEFAULT_OPSET}); got {opset!r}.")
    classifier = isinstance(estimator, LSTMClassifier)
    kind = estimator._input_kind
    n_tokens = estimator.n_tokens_ if kind == "tokens" else None
    net = _ExportableNet(estimator.net_.module_, n_tokens=n_tokens)
    served = _Served(
        net, classifier=classifier,
        flat_output=not classifier and estimator._y_ndim == 1,
        fixed_steps=estimator.n_features_in_ if kind == "2d" else None,
        target_mean=getattr(estimator, "target_mean_", None),
        target_scale=getattr(estimator, "target_scale_", None),
    ).eval()

    # an example batch to trace: ragged, with a partial last patch
    batch = 3
    if kind == "2d":
        args = (torch.zeros(batch, estimator.n_features_in_),)
        input_names = ["X"]
        dynamic = {"X": {0: "batch"}}
    else:
        steps = 3 * estimator.patch_size_ + 2
        if kind == "tokens":
            x = torch.ones(batch, steps, dtype=torch.int64)
        else:
            x = torch.zeros(batch, steps, estimator.n_features_in_)
        args = (x, torch.tensor([steps, steps - 1, 1], dtype=torch.int64))
        input_names = ["X", "lengths"]
        dynamic = {"X": {0: "batch", 1: "steps"}, "lengths": {0: "batch"}}
    output_names = ["probabilities", "class_index"] if classifier else ["predictions"]
    dynamic.update({name: {0: "batch"} for name in output_names})

    buffer = io.BytesIO()
    with torch.no_grad():
        _torchscript_export(
            served, args, buffer, input_names=input_names,
            output_names=output_names, dynamic_axes=dynamic,
            opset_version=int(opset), do_constant_folding=True,
        )
    model = onnx.load_from_string(buffer.getvalue())
    model.producer_name = "sklstm"
    model.doc_string = (
        f"sklstm {type(estimator).__name__} exported by sklstm.export.to_onnx"
    )
    props = {
        "estimator": type(estimator).__name__,
        "input_kind": kind,
        "patch_size": str(estimator.patch_size_),
    }
    if classifier:
        props["classes"] = json.dumps(estimator.classes_.tolist(), default=str)
    onnx.helper.set_model_props(model, props)
    onnx.checker.check_model(model)
    data = model.SerializeToString()
    if path is not None:
        with open(path, "wb") as fh:
            fh.write(data)
    return data
