"""PyTorch modules behind the estimators (no scikit-learn in here).

Argument names follow :class:`torch.nn.LSTM` (``hidden_size``,
``num_layers``, ``dropout``, ``bidirectional``).

Every layer here respects the padding of ragged batches: a sample's output
depends only on its own valid steps, never on how far the batch was padded
behind it (the recurrences, the patches, the convolutions, the normalisation
and every pooling mask the padded steps).
"""

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = ["SequenceNet"]

# the convolutional branch in the manner of FCN / LSTM-FCN: three blocks of
# (filters x width, kernel) -- widths relative to ``conv_filters``
CONV_BLOCKS = ((1, 8), (2, 5), (1, 3))


def _valid_mask(lengths, steps, device):
    """``(batch, steps, 1)`` boolean mask, True on each sample's valid steps."""
    arange = torch.arange(steps, device=device).view(1, -1)
    return (arange < lengths.view(-1, 1)).unsqueeze(2)


def patch(x, lengths, size):
    """Merge every ``size`` consecutive steps into one step of ``size`` x features.

    ``x`` is ``(batch, steps, features)``; the result is ``(batch, ceil(steps /
    size), size * features)`` with lengths ``ceil(lengths / size)``. The last,
    partial patch of a sample is completed with zeros whatever the batch's
    padding held, so a sample gives the same patches alone or in any batch.
    """
    if size == 1:
        return x, lengths
    batch, steps, features = x.shape
    n_patches = -(-steps // size)
    extra = n_patches * size - steps
    if extra:
        x = torch.cat([x, x.new_zeros(batch, extra, features)], dim=1)
    return (
        x.reshape(batch, n_patches, size * features),
        torch.div(lengths + size - 1, size, rounding_mode="floor"),
    )


class MaskedBatchNorm1d(nn.BatchNorm1d):
    """Batch normalisation over channels whose batch statistics skip padding.

    Takes ``(batch, channels, steps)`` and an optional ``(batch, 1, steps)``
    mask (0/1 for padding, or sample weights). In training, means and variances are computed over the valid steps
    only (so padding never shifts them) and the running estimates are updated
    as :class:`torch.nn.BatchNorm1d` does; in evaluation the running estimates
    are used, so a sample's output never depends on the rest of its batch.
    """

    def forward(self, x, mask=None):
        if not self.training or mask is None:
            if self.training and x.shape[0] * x.shape[2] < 2:
                # torch refuses batch statistics of one value; its mean is the
                # value and its (biased) variance 0, as below
                mask = torch.ones_like(x[:, :1])
            else:
                return super().forward(x)
        count = mask.sum().clamp(min=1)
        mean = (x * mask).sum(dim=(0, 2)) / count
        # the mask may hold sample weights: each squared deviation counts
        # as often as its weight (for a 0/1 mask this is the plain masked sum)
        centred = x - mean.view(1, -1, 1)
        var = (centred * centred * mask).sum(dim=(0, 2)) / count
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                momentum = self.momentum if self.momentum is not None else (
                    1.0 / float(self.num_batches_tracked)
                )
                unbiased = var * count / (count - 1).clamp(min=1)
                self.running_mean.mul_(1 - momentum).add_(momentum * mean)
                self.running_var.mul_(1 - momentum).add_(momentum * unbiased)
        out = (x - mean.view(1, -1, 1)) / torch.sqrt(var.view(1, -1, 1) + self.eps)
        if self.affine:
            out = out * self.weight.view(1, -1, 1) + self.bias.view(1, -1, 1)
        return out


def _conv_as_matmul(x, conv):
    """``conv(x)`` as one matrix product over sliding windows.

    The convolution kernels choose their algorithm by batch size, so a
    sample's output can differ in the last bits between batches; a matrix
    product computes each output row the same way whatever the batch, so
    predictions do not depend on which other samples share the batch. Used
    for inference; training uses the (faster) convolution kernels.
    """
    kernel = conv.kernel_size[0]
    windows = x.unfold(2, kernel, 1)  # (batch, channels, steps, kernel)
    batch, channels, steps, _ = windows.shape
    windows = windows.permute(0, 2, 1, 3).reshape(batch, steps, channels * kernel)
    out = windows @ conv.weight.reshape(conv.out_channels, -1).t() + conv.bias
    return out.transpose(1, 2)


class ConvBranch(nn.Module):
    """Fully convolutional branch: conv + batch norm + ReLU blocks, mean pooled.

    ``filters`` sets the width (the blocks have ``filters``, ``2 * filters``
    and ``filters`` channels, with kernels 8, 5 and 3, as in FCN). Padded
    steps are set to zero before every convolution, which is exactly what
    the convolution's own zero padding shows a sample standing alone, so
    padding never changes a sample's features.
    """

    def __init__(self, input_size, filters):
        super().__init__()
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        channels = input_size
        for mult, kernel in CONV_BLOCKS:
            width = mult * filters
            self.convs.append(nn.Conv1d(channels, width, kernel))
            self.norms.append(MaskedBatchNorm1d(width))
            channels = width
        self.output_size = channels

    def forward(self, x, lengths, ragged, sample_weight=None):
        h = x.transpose(1, 2)  # (batch, features, steps)
        mask = None
        if ragged:
            mask = _valid_mask(lengths, x.shape[1], x.device).transpose(1, 2).to(h.dtype)
            h = h * mask
        # batch statistics weight every valid step by its sample's weight, so
        # a weight of 2 counts a sample as twice, as the loss does
        stat_mask = mask
        if sample_weight is not None and self.training:
            w = sample_weight.to(h.dtype).view(-1, 1, 1)
            stat_mask = (w.expand(-1, 1, h.shape[2]) if mask is None else mask * w)
        for conv, norm in zip(self.convs, self.norms):
            # "same" zero padding (more on the right for even kernels), done
            # by hand: torch copies the input for even "same" kernels anyway
            k = conv.kernel_size[0]
            h = F.pad(h, ((k - 1) // 2, k // 2))
            h = conv(h) if self.training else _conv_as_matmul(h, conv)
            h = torch.relu(norm(h, stat_mask))
            if mask is not None:
                h = h * mask
        if mask is None:
            return h.mean(dim=2)
        return h.sum(dim=2) / lengths.view(-1, 1).to(h.dtype)


class SequenceNet(nn.Module):
    """Recurrent encoder (LSTM or GRU) + pooling + linear head.

    Parameters
    ----------
    input_size : int
        Features per time step (ignored when ``n_tokens`` is set).
    output_size : int
        Number of outputs (classes or regression targets).
    hidden_size, num_layers, bidirectional : see :class:`torch.nn.LSTM`.
    dropout : float
        Dropout between stacked layers (``num_layers > 1``) *and* on the
        pooled representation before the head, so it acts for one layer too.
    cell : {"lstm", "gru"}
    pooling : {"last", "mean", "max", "attention"}
        How the per-step outputs become one vector: the last valid step, the
        mean / max over valid steps, or a learned softmax-weighted mean of
        the valid steps (attention).
    n_tokens : int or None
        Vocabulary size for token input; adds an embedding (id 0 = padding).
    embedding_dim : int or None
        Embedding width for token input.
    patch_size : int
        The recurrent layer reads patches of this many consecutive steps as
        one step (1: every step).
    conv_filters : int
        Width of a convolutional branch beside the recurrent one (its
        pooled features are concatenated with the recurrent ones before the
        head); 0 for none.

    The forward pass takes ``x`` of shape ``(batch, time, features)`` (float)
    or ``(batch, time)`` (token ids) and ``lengths`` of shape ``(batch,)``
    holding each sample's number of valid steps; steps past a sample's length
    are padding and never influence its output. In training, an optional
    ``sample_weight`` of shape ``(batch,)`` weights each sample in the
    convolutional branch's batch statistics.
    """

    def __init__(
        self,
        input_size,
        output_size,
        hidden_size=64,
        num_layers=1,
        dropout=0.0,
        bidirectional=False,
        cell="lstm",
        pooling="last",
        n_tokens=None,
        embedding_dim=None,
        patch_size=1,
        conv_filters=0,
    ):
        super().__init__()
        self.embedding = None
        if n_tokens is not None:
            self.embedding = nn.Embedding(n_tokens, embedding_dim, padding_idx=0)
            input_size = embedding_dim
        rnn_cls = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = rnn_cls(
            input_size=input_size * patch_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            dropout=dropout if num_layers > 1 else 0.0,
            bidirectional=bidirectional,
            batch_first=True,
        )
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.patch_size = patch_size
        rnn_out = hidden_size * (2 if bidirectional else 1)
        self.attention = nn.Linear(rnn_out, 1) if pooling == "attention" else None
        self.conv = ConvBranch(input_size, conv_filters) if conv_filters else None
        conv_out = self.conv.output_size if self.conv is not None else 0
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(rnn_out + conv_out, output_size)

    def __setstate__(self, state):
        super().__setstate__(state)
        # Weights unpickled straight onto a GPU are separate tensors; cuDNN
        # wants them in one chunk (else it warns and re-packs them at every
        # call). A no-op on the CPU.
        self.rnn.flatten_parameters()

    def forward(self, x, lengths, sample_weight=None):
        if self.embedding is not None:
            x = self.embedding(x)
        steps = x.shape[1]
        lengths_cpu = lengths.to("cpu")
        ragged = bool((lengths_cpu != steps).any())
        if ragged:
            # zero whatever the padded steps hold, so the partial last patch
            # and the convolutions see the same zeros as a sample alone
            x = x * _valid_mask(lengths, steps, x.device).to(x.dtype)
        pooled = self._recurrent(*patch(x, lengths, self.patch_size), ragged)
        if self.conv is not None:
            pooled = torch.cat(
                [pooled, self.conv(x, lengths, ragged, sample_weight)], dim=1
            )
        return self.head(self.dropout(pooled))

    def _recurrent(self, x, lengths, ragged):
        steps = x.shape[1]
        lengths_cpu = lengths.to("cpu")
        if ragged:
            ragged = bool((lengths_cpu != steps).any())
        if ragged and self.bidirectional:
            # the backward direction must start at each sample's own last step
            packed = pack_padded_sequence(
                x, lengths_cpu, batch_first=True, enforce_sorted=False
            )
            out, _ = self.rnn(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=steps)
        else:
            # forward-only recurrences never see the padding that follows a
            # sample's last valid step, so a padded batch is exact (and about
            # twice as fast as a packed one on CPU)
            out, _ = self.rnn(x)
        if self.pooling == "last":
            if self.bidirectional:
                half = out.shape[2] // 2
                idx = (lengths - 1).view(-1, 1)
                fwd = out[:, :, :half].gather(
                    1, idx.view(-1, 1, 1).expand(-1, 1, half)
                ).squeeze(1)
                bwd = out[:, 0, half:]
                return torch.cat([fwd, bwd], dim=1)
            if ragged:
                idx = (lengths - 1).view(-1, 1, 1).expand(-1, 1, out.shape[2])
                return out.gather(1, idx).squeeze(1)
            return out[:, -1]
        mask = _valid_mask(lengths, steps, out.device) if ragged else None
        if self.pooling == "attention":
            scores = self.attention(out)  # (batch, steps, 1)
            if mask is not None:
                scores = scores.masked_fill(~mask, float("-inf"))
            weights = torch.softmax(scores, dim=1)
            return (weights * out).sum(1)
        if self.pooling == "mean":
            if mask is not None:
                return (out * mask).sum(1) / lengths.view(-1, 1).to(out.dtype)
            return out.mean(1)
        # max
        if mask is not None:
            out = out.masked_fill(~mask, float("-inf"))
        return out.max(1).values
