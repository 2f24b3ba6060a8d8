"""PyTorch modules behind the estimators (no scikit-learn in here).

Argument names follow :class:`torch.nn.LSTM` (``hidden_size``,
``num_layers``, ``dropout``, ``bidirectional``).
"""

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = ["SequenceNet"]


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
    pooling : {"last", "mean", "max"}
        How the per-step outputs become one vector: the last valid step, or
        the mean / max over valid steps.
    n_tokens : int or None
        Vocabulary size for token input; adds an embedding (id 0 = padding).
    embedding_dim : int or None
        Embedding width for token input.

    The forward pass takes ``x`` of shape ``(batch, time, features)`` (float)
    or ``(batch, time)`` (token ids) and ``lengths`` of shape ``(batch,)``
    holding each sample's number of valid steps; steps past a sample's length
    are padding and never influence its output.
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
    ):
        super().__init__()
        self.embedding = None
        if n_tokens is not None:
            self.embedding = nn.Embedding(n_tokens, embedding_dim, padding_idx=0)
            input_size = embedding_dim
        rnn_cls = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.rnn = rnn_cls(
            input_size=input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            dropout=dropout if num_layers > 1 else 0.0,
            bidirectional=bidirectional,
            batch_first=True,
        )
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), output_size)

    def __setstate__(self, state):
        super().__setstate__(state)
        # Weights unpickled straight onto a GPU are separate tensors; cuDNN
        # wants them in one chunk (else it warns and re-packs them at every
        # call). A no-op on the CPU.
        self.rnn.flatten_parameters()

    def forward(self, x, lengths):
        if self.embedding is not None:
            x = self.embedding(x)
        batch, steps = x.shape[0], x.shape[1]
        lengths_cpu = lengths.to("cpu")
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
                pooled = torch.cat([fwd, bwd], dim=1)
            elif ragged:
                idx = (lengths - 1).view(-1, 1, 1).expand(-1, 1, out.shape[2])
                pooled = out.gather(1, idx).squeeze(1)
            else:
                pooled = out[:, -1]
        else:
            if ragged:
                mask = (
                    torch.arange(steps, device=out.device).view(1, -1)
                    < lengths.view(-1, 1)
                ).unsqueeze(2)
            if self.pooling == "mean":
                if ragged:
                    pooled = (out * mask).sum(1) / lengths.view(-1, 1).to(out.dtype)
                else:
                    pooled = out.mean(1)
            else:  # max
                if ragged:
                    out = out.masked_fill(~mask, float("-inf"))
                pooled = out.max(1).values
        return self.head(self.dropout(pooled))
