"""Glue between validated arrays and skorch: dataset, batch iterator, callbacks.

Nothing here is public. The pieces exist because skorch's defaults cost
speed on small recurrent nets (per-sample ``__getitem__`` plus
``default_collate`` for every batch) and cannot express ragged batches.
"""

import math
import sys
import threading
from contextlib import contextmanager

import numpy as np
import torch
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import Callback, LRScheduler
from skorch.dataset import get_len, unpack_data
from skorch.utils import to_numpy

__all__ = [
    "SequenceDataset", "BatchIterator", "DivergenceGuard", "DivergedError",
    "ContinuingLRScheduler", "TORCH_RNG_LOCK", "training_interrupted",
    "check_model_size", "torch_threads", "auto_threads", "batch_targets",
    "WeightedCrossEntropyLoss", "WeightedMSELoss", "lean_net_class",
]

#: Held while a fit seeds and uses torch's process-wide random generator.
#: Weight initialisation and dropout draw from that one generator, which all
#: threads share: two fits in threads would interleave their draws (results
#: depending on timing) and restore each other's saved states. Fits in threads
#: therefore train one at a time; fits in processes are unaffected. Re-entrant,
#: so a fit may train another estimator inside it.
TORCH_RNG_LOCK = threading.RLock()


#: Multiply-adds per batch (parameters x batch size x recurrent steps, an
#: estimate) below which ``n_threads="auto"`` trains with one torch thread.
#: On a 2-core machine (``benchmarks/threads.py``), below it a second thread
#: saved 6-22 % of an idle epoch and cost 1.7-2.1x with the cores busy;
#: above it (6e8 and 2e9) it saved 35-42 % idle and cost 1.4-1.8x busy.
AUTO_THREADS_MIN_WORK = 3 * 10**8


def auto_threads(n_params, batch_size, n_steps):
    """Torch threads for ``n_threads="auto"``: one for small work, else the
    current setting (never more than it, so an outer choice such as a
    search's one thread per fit holds)."""
    current = torch.get_num_threads()
    if current > 1 and n_params * batch_size * n_steps < AUTO_THREADS_MIN_WORK:
        return 1
    return current


@contextmanager
def torch_threads(n):
    """Run with ``n`` torch intra-op threads (``None``: as they are).

    torch's setting is process-wide: it is changed under ``TORCH_RNG_LOCK``
    (which fits in threads hold anyway) and restored afterwards.
    """
    if n is None or n == torch.get_num_threads():
        yield
        return
    with TORCH_RNG_LOCK:
        before = torch.get_num_threads()
        torch.set_num_threads(n)
        try:
            yield
        finally:
            torch.set_num_threads(before)


#: Largest number of parameters a network may have: 2**30 float32 weights are
#: 4 GiB, and training with Adam needs about four times that (gradients and
#: two moment estimates). Larger sizes are almost surely a mistake
#: (``hidden_size=10**6``) that torch would otherwise really try to allocate.
MAX_PARAMETERS = 2**30


def check_model_size(net, name):
    """Refuse a network with more than ``MAX_PARAMETERS`` parameters.

    The module is built on torch's ``meta`` device, which allocates nothing,
    with the arguments the net would build it with; the caller's random
    state is left as it was.
    """
    params = net.get_params_for("module")
    try:
        with torch.random.fork_rng(devices=[]), torch.device("meta"):
            module = net.module(**params)
    except Exception:  # pragma: no cover - a module that cannot be built there
        return  # this is a safety net only; building it for real will tell
    n = sum(p.numel() for p in module.parameters())
    if n > MAX_PARAMETERS:
        sizes = ", ".join(
            f"{key}={params[key]!r}" for key in ("hidden_size", "num_layers",
                                                 "embedding_dim", "n_tokens")
            if params.get(key) is not None
        )
        raise ValueError(
            f"{name} would build a network of {n:,} parameters ({n * 4 / 2**30:,.0f} "
            f"GiB of float32 weights, about four times that to train) with "
            f"{sizes}; at most {MAX_PARAMETERS:,} are accepted. Lower hidden_size "
            "or num_layers (or embedding_dim, or the vocabulary of token input)."
        )


def training_interrupted(net, before, epochs):
    """Whether skorch swallowed a ``KeyboardInterrupt`` during ``partial_fit``.

    skorch's ``partial_fit`` catches ``KeyboardInterrupt`` and returns as if
    training had finished: that is how its ``EarlyStopping`` ends training,
    and it also swallows the user's Ctrl-C. Training ran to completion when
    all ``epochs`` epochs since history row ``before`` were recorded in full,
    or when early stopping ended it; anything else was an interrupt.
    """
    stopper = dict(getattr(net, "callbacks_", [])).get("early_stopping")
    # skorch's EarlyStopping raises as soon as misses_ reaches its patience
    stopped = stopper is not None and getattr(stopper, "misses_", 0) >= stopper.patience
    if getattr(net, "_interrupted_", False) and not stopped:
        # a KeyboardInterrupt left the training loop (see _LeanLoop.fit_loop),
        # even one after the last epoch's row was complete
        return True
    rows = net.history[before:]
    needed = ["train_loss"]
    if net.train_split is not None:
        needed.append("valid_loss")
    if "valid_score" in dict(getattr(net, "callbacks_", [])):
        needed.append("valid_score")
    complete = [all(name in row for name in needed) for row in rows]
    if complete and not complete[-1]:
        return True  # stopped in the middle of an epoch
    if len(rows) >= epochs:
        return False
    return not stopped


class SequenceDataset(torch.utils.data.Dataset):
    """Padded sequences + lengths (+ targets, + sample weights) as whole tensors.

    With sample weights, a batch's targets are the pair ``[y, weights]``
    (read by :class:`WeightedCrossEntropyLoss` / :class:`WeightedMSELoss`)
    and its inputs carry ``sample_weight`` for the network's batch statistics.
    """

    def __init__(self, values, lengths, y=None, sample_weight=None):
        if not values.flags.writeable:
            values = values.copy()
        self.X = torch.from_numpy(values)
        self.lengths = torch.from_numpy(np.ascontiguousarray(lengths))
        self.y = None if y is None else torch.from_numpy(np.ascontiguousarray(y))
        self.w = (None if sample_weight is None
                  else torch.from_numpy(np.ascontiguousarray(sample_weight)))
        self.ragged = bool((self.lengths != self.X.shape[1]).any())

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, i):
        return self._item(self.X[i], self.lengths[i], i)

    def _item(self, x, lengths, idx):
        if self.y is None:
            y = torch.zeros(()) if np.ndim(idx) == 0 else torch.zeros(len(idx))
        else:
            y = self.y[idx]
        inputs = {"x": x, "lengths": lengths}
        if self.w is not None:
            inputs["sample_weight"] = self.w[idx]
            y = [y, self.w[idx]]
        return inputs, y

    def subset(self, idx):
        """A dataset of the rows ``idx`` (used for the validation split)."""
        idx = torch.as_tensor(idx, dtype=torch.int64)
        out = SequenceDataset.__new__(SequenceDataset)
        out.X = self.X[idx]
        out.lengths = self.lengths[idx]
        out.y = None if self.y is None else self.y[idx]
        out.w = None if self.w is None else self.w[idx]
        out.ragged = bool((out.lengths != out.X.shape[1]).any())
        return out

    def batch(self, idx):
        """Gather rows ``idx`` as one batch, trimmed to its longest sequence."""
        x = self.X[idx]
        lengths = self.lengths[idx]
        if self.ragged:
            longest = int(lengths.max())
            if longest < x.shape[1]:
                x = x[:, :longest]
        return self._item(x, lengths, idx)


def batch_targets(y):
    """The targets of a batch as NumPy (without its sample weights)."""
    if isinstance(y, (list, tuple)):
        y = y[0]
    return to_numpy(y)


def _weighted_mean(losses, weight, norm):
    # a batch whose weights are all zero contributes nothing (and no NaN)
    return (losses * weight).sum() / norm.sum().clamp(min=torch.finfo(losses.dtype).tiny)


class WeightedCrossEntropyLoss(torch.nn.CrossEntropyLoss):
    """:class:`torch.nn.CrossEntropyLoss` that also takes per-sample weights.

    Given targets ``[y, w]`` the loss is ``sum(w_i c_i l_i) / sum(w_i c_i)``
    (``c_i`` the class weight of sample ``i``, 1 without class weights): a
    weight of 2 counts a sample twice and a weight of 0 leaves it out, as
    repeating or removing it would in a full batch. Plain targets give the
    plain loss, computed exactly as before.
    """

    def forward(self, input, target):
        if not isinstance(target, (list, tuple)):
            return super().forward(input, target)
        target, weight = target
        losses = torch.nn.functional.cross_entropy(
            input, target, weight=self.weight, reduction="none",
            label_smoothing=self.label_smoothing,
        )
        weight = weight.to(losses.dtype)
        norm = weight if self.weight is None else weight * self.weight[target]
        return _weighted_mean(losses, weight, norm)


class WeightedMSELoss(torch.nn.MSELoss):
    """:class:`torch.nn.MSELoss` that also takes per-sample weights.

    Given targets ``[y, w]`` the loss is the ``w``-weighted mean over samples
    of each sample's mean squared error over its outputs.
    """

    def forward(self, input, target):
        if not isinstance(target, (list, tuple)):
            return super().forward(input, target)
        target, weight = target
        losses = ((input - target) ** 2).reshape(input.shape[0], -1).mean(dim=1)
        weight = weight.to(losses.dtype)
        return _weighted_mean(losses, weight, weight)


class BatchIterator:
    """Yield mini-batches by slicing whole tensors (no per-sample collate).

    With ``shuffle=True`` the order is drawn from ``rng`` (a
    :class:`numpy.random.Generator` that lives as long as the net, so each
    epoch gets a new order and a fit is reproducible). Ragged data is
    bucketed: shuffled samples are sorted by length within windows of
    ``bucket_batches`` batches, so a batch pads little, and the batch order
    is then shuffled again.
    """

    def __init__(self, dataset, batch_size=32, shuffle=False, rng=None,
                 bucket_batches=32):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = rng
        self.bucket_batches = bucket_batches

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def _batches(self):
        n, bs = len(self.dataset), self.batch_size
        if not self.shuffle:
            return [np.arange(i, min(i + bs, n)) for i in range(0, n, bs)]
        order = self.rng.permutation(n)
        if not self.dataset.ragged:
            return [order[i:i + bs] for i in range(0, n, bs)]
        lengths = self.dataset.lengths.numpy()
        window = bs * self.bucket_batches
        batches = []
        for start in range(0, n, window):
            chunk = order[start:start + window]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches.extend(chunk[i:i + bs] for i in range(0, len(chunk), bs))
        return [batches[i] for i in self.rng.permutation(len(batches))]

    def __iter__(self):
        for idx in self._batches():
            yield self.dataset.batch(torch.from_numpy(np.asarray(idx, dtype=np.int64)))


def _overrides(obj, hook):
    """Whether ``obj``'s class does something in the callback method ``hook``."""
    return getattr(type(obj), hook, None) is not getattr(Callback, hook)


class _LeanLoop:
    """skorch's training loop with the per-batch work a batch does not need.

    Mixed into skorch's nets through their documented extension points
    (``notify``, ``run_single_epoch``, ``train_step_single``, ``infer``), it
    does the same arithmetic in the same order (the tests compare loss
    curves with the plain nets) and saves, per batch, the calls that
    measurably cost on small networks:

    * callbacks whose hook is skorch's empty default are not called (most
      callbacks implement one or two of the seven hooks);
    * the modules are switched to training mode when they are not in it,
      not before every batch (``Module.train`` walks every submodule);
    * the batch size is read off the batch, and a batch of tensors (what
      :class:`BatchIterator` yields) goes to the module without skorch's
      general conversion of any input type.
    """

    def fit_loop(self, *args, **kwargs):
        # skorch's partial_fit swallows a KeyboardInterrupt from here; note
        # that one passed, for training_interrupted
        self._interrupted_ = False
        try:
            return super().fit_loop(*args, **kwargs)
        except KeyboardInterrupt:
            self._interrupted_ = True
            raise

    def notify(self, method_name, **cb_kwargs):
        getattr(self, method_name)(self, **cb_kwargs)
        for _, cb in self.callbacks_:
            if _overrides(cb, method_name):
                getattr(cb, method_name)(self, **cb_kwargs)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if iterator is None:
            return
        history = self.history
        count = 0
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            history.record_batch(prefix + "_loss", step["loss"].item())
            history.record_batch(prefix + "_batch_size", _batch_len(batch))
            self.notify("on_batch_end", batch=batch, training=training, **step)
            count += 1
        history.record(prefix + "_batch_count", count)

    def train_step_single(self, batch, **fit_params):
        if not (self.module_.training and self.criterion_.training):
            return super().train_step_single(batch, **fit_params)
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}

    def infer(self, x, **fit_params):
        if type(x) is not dict or fit_params or not all(
            type(v) is torch.Tensor for v in x.values()
        ):
            return super().infer(x, **fit_params)
        if self.device is not None:
            x = {k: v.to(self.device) for k, v in x.items()}
        return self.module_(**x)


def _batch_len(batch):
    """Samples in a batch: the rows of its inputs (skorch's ``get_len``)."""
    inputs = batch[0] if isinstance(batch, (tuple, list)) else batch
    if type(inputs) is dict and type(inputs.get("x")) is torch.Tensor:
        return inputs["x"].shape[0]
    return get_len(inputs)


class _LeanClassifier(_LeanLoop, NeuralNetClassifier):
    """``NeuralNetClassifier`` with :class:`_LeanLoop`'s per-batch savings."""


class _LeanRegressor(_LeanLoop, NeuralNetRegressor):
    """``NeuralNetRegressor`` with :class:`_LeanLoop`'s per-batch savings."""


def lean_net_class(net_class):
    """The lean version of skorch's ``NeuralNetClassifier`` / ``NeuralNetRegressor``."""
    return {NeuralNetClassifier: _LeanClassifier, NeuralNetRegressor: _LeanRegressor}[net_class]


class ContinuingLRScheduler(LRScheduler):
    """skorch's ``LRScheduler`` that keeps one schedule across fit calls.

    skorch builds a new torch scheduler at the start of every ``fit`` /
    ``partial_fit`` call: a step schedule then repeats its last step when a
    call ends on a step boundary, and a plateau schedule forgets its
    patience count and best loss. When the network continues training
    (``warm_start``, ``partial_fit``), this callback keeps the scheduler it
    had. If the network was copied in between (pickled, deep-copied, sent
    to a worker process), the scheduler is rebuilt on the copied optimizer
    with the previous scheduler's state and the optimizer's current learning
    rates, so training in several calls follows the schedule of one call.
    """

    def on_train_begin(self, net, **kwargs):
        previous = getattr(self, "lr_scheduler_", None)
        if previous is None or not len(net.history):
            super().on_train_begin(net, **kwargs)
            return
        if getattr(previous, "optimizer", None) is net.optimizer_:
            return
        lrs = [group["lr"] for group in net.optimizer_.param_groups]
        super().on_train_begin(net, **kwargs)  # may step the learning rates
        self.lr_scheduler_.load_state_dict(previous.state_dict())
        for group, lr in zip(net.optimizer_.param_groups, lrs):
            group["lr"] = lr


class DivergedError(ValueError):
    """Raised when the training loss stops being finite or blows up."""


class DivergenceGuard(Callback):
    """Stop training with a clear error when the loss is NaN or inf or blows up.

    A loss can also explode while staying finite (a learning rate far too
    high drives it up by orders of magnitude, and the predictions with it).
    Training stops when an epoch's mean training loss exceeds
    ``blowup_factor`` times the loss of the first batch of the ``fit`` call,
    which is computed before any update (a floor of ``1e-3`` keeps a nearly
    perfect first batch from making every later rise look like one).
    Ordinary training moves the loss by far less than a factor of 1000.
    """

    blowup_factor = 1e3

    def __init__(self, lr=None, regression=False):
        self.lr = lr
        self.regression = regression

    def _fail(self, net, what):
        epoch = len(net.history)
        raise DivergedError(
            f"Training diverged at epoch {epoch}: {what}. Try a lower learning "
            f"rate (lr={self.lr!r} now), gradient clipping (clip_grad_norm=1.0) "
            f"or scaling the input (sklstm.preprocessing.SequenceScaler)."
        )

    def on_train_begin(self, net, **kwargs):
        self.initial_loss_ = None

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        if training and loss is not None:
            value = loss.item()  # skorch has synchronised on it already
            if not math.isfinite(value):
                self._fail(net, f"the training loss became {value}")
            if getattr(self, "initial_loss_", None) is None:
                self.initial_loss_ = value

    def on_epoch_end(self, net, **kwargs):
        first = getattr(self, "initial_loss_", None)
        loss = net.history[-1].get("train_loss")
        if first is None or loss is None:
            return
        if loss > self.blowup_factor * max(first, 1e-3):
            self._fail(
                net,
                f"the training loss blew up from {first:.3g} on the first batch "
                f"to a mean of {loss:.3g} over this epoch (finite, but "
                f"{loss / max(first, 1e-3):.3g} times higher)",
            )

    def on_train_end(self, net, **kwargs):
        for p in net.module_.parameters():
            if not torch.isfinite(p).all():
                self._fail(net, "the network weights became NaN or inf")


def _interactive(stream):
    """True in a terminal or a notebook; False in logs and pipes."""
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError):
        return False
    try:  # Jupyter / IPython kernels
        from IPython import get_ipython

        shell = get_ipython()
        return shell is not None and "Kernel" in type(shell).__name__
    except Exception:  # pragma: no cover - IPython absent or broken
        return False


class EpochProgress(Callback):
    """A tqdm bar over epochs with the latest losses in its postfix.

    In a terminal or notebook the bar redraws in place; where output is a
    log or pipe (CI, ``nohup``), one plain line per epoch is printed
    instead, so logs stay readable.
    """

    def __init__(self, total, stream=None):
        self.total = total
        self.stream = stream

    def _out(self):
        return self.stream if self.stream is not None else sys.stderr

    def on_train_begin(self, net, **kwargs):
        self._bar = None
        if _interactive(self._out()):
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.total, desc="epochs", unit="epoch",
                             file=self._out(), leave=True)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        losses = {k: row[k] for k in ("train_loss", "valid_loss") if k in row}
        if self._bar is not None:
            self._bar.set_postfix({k: f"{v:.4f}" for k, v in losses.items()}, refresh=False)
            self._bar.update(1)
        else:
            text = "  ".join(f"{k} {v:.4f}" for k, v in losses.items())
            print(f"epoch {row['epoch']}/{self.total}  {text}  ({row['dur']:.2f}s)",
                  file=self._out(), flush=True)

    def on_train_end(self, net, **kwargs):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
