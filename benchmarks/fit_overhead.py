"""Fit overhead of sklstm against a minimal hand-written PyTorch loop.

Both sides train the same module (sklstm's ``SequenceNet``), on the same
data, with the same optimizer, batch size and number of epochs. Runs are
alternated (ours, reference, ours, ...) so that machine noise hits both; the
printed figure is the median of the per-pair time ratios.

A third case compares sklstm on ragged input against equal-length input of
the same total number of time steps.

Both sides train with torch's thread setting (``n_threads=None``), so the
ratio is overhead; ``--auto-threads`` adds sklstm with its default
``n_threads="auto"``, which trains small nets with one thread, and
``--skorch`` adds a plain skorch net with the same module and batches, to
tell skorch's own cost from sklstm's, and ``--lean`` times sklstm's lean
per-batch path against the same estimator trained through skorch's own
``NeuralNetClassifier`` (same arithmetic; the script checks the loss curves).

Usage::

    python benchmarks/fit_overhead.py [--repeats 7] [--device cpu|cuda] [--auto-threads] [--skorch] [--lean]
"""

import argparse
import statistics
import time

import numpy as np
import torch

from sklstm import LSTMClassifier
from sklstm._modules import SequenceNet


def _torch_seed(seed):
    """The torch seed ``LSTMClassifier(random_state=seed)`` draws."""
    return int(np.random.RandomState(seed).randint(np.iinfo(np.int32).max))


def minimal_loop(X, y, *, hidden_size, epochs, batch_size, lr, seed, device="cpu"):
    """What a user writes by hand: module, Adam, shuffled slices, CE loss.

    It draws its seed, initial weights and shuffling order exactly as
    ``LSTMClassifier(random_state=seed)`` does, so both sides do the same
    arithmetic and the time difference is pure overhead (``main`` checks
    that the loss curves agree). On a GPU the whole data set is moved there
    once, before training: the fastest a hand-written loop can feed it.
    """
    torch_seed = _torch_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(torch_seed)
        order = np.random.default_rng(torch_seed)
        Xt, yt = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)
        lengths = torch.full((len(X),), X.shape[1], dtype=torch.int64, device=device)
        module = SequenceNet(X.shape[2], int(y.max()) + 1, hidden_size=hidden_size)
        module.to(device)
        opt = torch.optim.Adam(module.parameters(), lr=lr)
        loss_fn = torch.nn.CrossEntropyLoss()
        losses = []
        for _ in range(epochs):
            perm = torch.from_numpy(order.permutation(len(X))).to(device)
            total = 0.0
            module.train()
            for i in range(0, len(X), batch_size):
                idx = perm[i:i + batch_size]
                opt.zero_grad()
                loss = loss_fn(module(Xt[idx], lengths[idx]), yt[idx])
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            losses.append(total / len(X))
    return losses


def ours(X, y, *, hidden_size, epochs, batch_size, lr, seed, device="cpu",
         n_threads=None):
    # the plain recurrent network, as the minimal loop builds it, at a
    # constant learning rate; n_threads=None trains with torch's setting, as
    # the minimal loop does (the default "auto" may pick one thread)
    return LSTMClassifier(hidden_size=hidden_size, max_epochs=epochs,
                          batch_size=batch_size, lr=lr, random_state=seed,
                          conv_filters=0, patch_size=1, pooling="last",
                          lr_schedule=None, device=device,
                          n_threads=n_threads).fit(X, y)


def skorch_loop(*args, **kwargs):
    """``ours`` trained through skorch's own net class, without sklstm's lean
    per-batch path (``sklstm._training._LeanLoop``)."""
    import sklstm._estimators as estimators

    lean = estimators.lean_net_class
    estimators.lean_net_class = lambda net_class: net_class
    try:
        return ours(*args, **kwargs)
    finally:
        estimators.lean_net_class = lean


def bare_skorch(X, y, *, hidden_size, epochs, batch_size, lr, seed, device="cpu"):
    """skorch alone: the same module, batches and seeds in a plain
    ``NeuralNetClassifier`` (no input checks, no sklstm callbacks), to tell
    skorch's own per-batch cost from what sklstm adds on top."""
    from skorch import NeuralNetClassifier

    from sklstm._training import BatchIterator, SequenceDataset

    torch_seed = _torch_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(torch_seed)
        data = SequenceDataset(X, np.full(len(X), X.shape[1]), y)
        net = NeuralNetClassifier(
            SequenceNet, module__input_size=X.shape[2],
            module__output_size=int(y.max()) + 1, module__hidden_size=hidden_size,
            criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=lr,
            max_epochs=epochs, batch_size=batch_size, train_split=None,
            iterator_train=BatchIterator, iterator_train__shuffle=True,
            iterator_train__rng=np.random.default_rng(torch_seed),
            callbacks__print_log=None, device=device, verbose=0,
        )
        net.fit(data, None)
    return net.history[:, "train_loss"]


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t0


def compare(name, a, b, repeats):
    """Alternate a() and b(); report the median of a/b per pair."""
    a(), b()  # warm-up (imports, oneDNN kernel selection)
    ratios, ta, tb = [], [], []
    for r in range(repeats):
        if r % 2 == 0:
            x, y_ = a(), b()
        else:
            y_, x = b(), a()
        ta.append(x)
        tb.append(y_)
        ratios.append(x / y_)
    print(f"{name:<58s} {statistics.median(ta):7.3f}s {statistics.median(tb):7.3f}s "
          f"ratio {statistics.median(ratios):.3f}")
    return statistics.median(ratios)


def data(n, t, f, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, t, f)).astype(np.float32)
    y = (X[:, :, 0].mean(axis=1) > 0).astype(np.int64)
    return X, y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--device", default="cpu", help="torch device of both sides")
    parser.add_argument("--skorch", action="store_true",
                        help="also time skorch alone (same module and batches) "
                             "against the loop and against sklstm")
    parser.add_argument("--auto-threads", action="store_true",
                        help="also time sklstm with its default n_threads='auto', "
                             "which may train with fewer threads than the loop")
    parser.add_argument("--lean", action="store_true",
                        help="also time sklstm's lean per-batch path against the "
                             "same estimator trained through skorch's own net class")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"oneDNN {torch.backends.mkldnn.is_available()}, device {args.device}")
    print(f"{'case':<58s} {'sklstm':>8s} {'other':>8s}")

    cases = [
        ("large: N=2000 T=50 F=8 hidden 64, 5 epochs, batch 32", 2000, 50, 8, 64, 5),
        ("tiny: N=200 T=20 F=1 hidden 16, 20 epochs, batch 32", 200, 20, 1, 16, 20),
    ]
    for name, n, t, f, h, e in cases:
        X, y = data(n, t, f)
        kw = dict(hidden_size=h, epochs=e, batch_size=32, lr=1e-3, seed=0,
                  device=args.device)
        same = np.allclose(ours(X, y, **kw).loss_curve_, minimal_loop(X, y, **kw), rtol=1e-4)
        print(f"  same loss curve on both sides: {same}")
        compare(f"{name} (vs minimal loop)",
                lambda: timed(ours, X, y, **kw),
                lambda: timed(minimal_loop, X, y, **kw), args.repeats)
        if args.skorch:
            same = np.allclose(bare_skorch(X, y, **kw), minimal_loop(X, y, **kw), rtol=1e-4)
            print(f"  same loss curve, skorch alone and minimal loop: {same}")
            compare(f"{name}, skorch alone (vs minimal loop)",
                    lambda: timed(bare_skorch, X, y, **kw),
                    lambda: timed(minimal_loop, X, y, **kw), args.repeats)
            compare(f"{name}, sklstm (vs skorch alone)",
                    lambda: timed(ours, X, y, **kw),
                    lambda: timed(bare_skorch, X, y, **kw), args.repeats)
        if args.lean:
            same = np.array_equal(ours(X, y, **kw).loss_curve_, skorch_loop(X, y, **kw).loss_curve_)
            print(f"  same loss curve, lean and skorch's own loop: {same}")
            compare(f"{name}, lean loop (vs skorch's own loop)",
                    lambda: timed(ours, X, y, **kw),
                    lambda: timed(skorch_loop, X, y, **kw), args.repeats)
        if args.auto_threads:
            compare(f"{name}, n_threads='auto' (vs minimal loop)",
                    lambda: timed(ours, X, y, n_threads="auto", **kw),
                    lambda: timed(minimal_loop, X, y, **kw), args.repeats)

    # ragged: lengths uniform in [25, 75] (mean 50) against 2000 x 50
    rng = np.random.RandomState(1)
    lengths = rng.randint(25, 76, size=2000)
    lengths = np.round(lengths * (50 * 2000 / lengths.sum())).astype(int)
    Xr = [rng.normal(size=(L, 8)).astype(np.float32) for L in lengths]
    yr = np.array([int(x[:, 0].mean() > 0) for x in Xr])
    X, y = data(2000, 50, 8)
    kw = dict(hidden_size=64, epochs=5, batch_size=32, lr=1e-3, seed=0,
              device=args.device)
    print(f"ragged total steps {sum(len(x) for x in Xr)}, equal-length total {X.shape[0] * X.shape[1]}")
    compare("ragged (25..75 steps) vs equal length 50, sklstm both",
            lambda: timed(ours, Xr, yr, **kw),
            lambda: timed(ours, X, y, **kw), args.repeats)


if __name__ == "__main__":
    main()
