"""The architecture options: patches, the convolutional branch, attention.

Each option must keep every promise of the plain recurrent estimators:
padding never changes a prediction, pickling, bit-identical refits,
continued training, token input.
"""

import itertools
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm._modules import MaskedBatchNorm1d, SequenceNet, patch

TINY = dict(hidden_size=8, max_epochs=3, batch_size=8, random_state=0)
OPTIONS = [
    dict(patch_size=4),
    dict(patch_size="auto"),
    dict(conv_filters=4),
    dict(pooling="attention"),
    dict(patch_size=3, conv_filters=4, pooling="attention"),
]


def make_ragged(n=16, f=2, seed=0, low=2, high=23):
    rng = np.random.RandomState(seed)
    X = [rng.normal(size=(rng.randint(low, high), f)) for _ in range(n)]
    y = np.array([int(x[:, 0].mean() > 0) for x in X])
    return X, y


@pytest.mark.parametrize(
    "options, bidirectional",
    list(itertools.product(OPTIONS, [False, True])),
    ids=lambda v: str(v),
)
def test_padding_never_changes_predictions(options, bidirectional):
    X, y = make_ragged()
    clf = LSTMClassifier(bidirectional=bidirectional, **TINY, **options).fit(X, y)
    batched = clf.predict_proba(X)
    alone = np.vstack([clf.predict_proba([x]) for x in X])
    np.testing.assert_allclose(batched, alone, rtol=1e-5, atol=1e-6)


def test_padding_values_are_ignored_inside_the_network():
    # whatever a padded step holds (zeros from the estimators, or anything a
    # caller of the module puts there), a sample's output is the same
    torch.manual_seed(0)
    net = SequenceNet(2, 3, hidden_size=5, patch_size=3, conv_filters=4,
                      pooling="attention").eval()
    x = torch.randn(2, 10, 2)
    lengths = torch.tensor([10, 4])
    garbage = x.clone()
    garbage[1, 4:] = 1e3
    with torch.no_grad():
        np.testing.assert_allclose(net(x, lengths), net(garbage, lengths), atol=1e-6)
        alone = net(x[1:, :4], lengths[1:])
        np.testing.assert_allclose(net(garbage, lengths)[1:], alone, rtol=1e-5, atol=1e-6)


def test_patch_merges_steps_and_completes_the_last_patch_with_zeros():
    x = torch.arange(14, dtype=torch.float32).view(1, 7, 2)
    out, lengths = patch(x, torch.tensor([7]), 3)
    assert out.shape == (1, 3, 6) and lengths.tolist() == [3]
    np.testing.assert_array_equal(out[0, 0], [0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(out[0, 2], [12, 13, 0, 0, 0, 0])
    assert torch.equal(patch(x, torch.tensor([7]), 1)[0], x)
    assert patch(x, torch.tensor([7]), 4)[1].tolist() == [2]


@pytest.mark.parametrize("patch_size, longest, expected", [
    (1, 150, 1), (8, 150, 8), ("auto", 150, 5), ("auto", 24, 1), ("auto", 32, 1),
    ("auto", 33, 2), ("auto", 361, 12),
])
def test_patch_size_used(patch_size, longest, expected):
    X = np.random.RandomState(0).normal(size=(6, longest)).astype(np.float32)
    clf = LSTMClassifier(patch_size=patch_size, hidden_size=4, max_epochs=1,
                         random_state=0).fit(X, [0, 1] * 3)
    assert clf.patch_size_ == expected
    assert clf.net_.module_.rnn.input_size == expected


def test_patch_size_is_kept_by_continued_training_and_longer_input():
    X, y = make_ragged()
    clf = LSTMClassifier(patch_size="auto", warm_start=True, **TINY).fit(X, y)
    size = clf.patch_size_
    longer = [np.vstack([x] * 4) for x in X]  # the longest is now 4x longer
    clf.fit(longer, y)
    assert clf.patch_size_ == size
    assert clf.predict(longer).shape == (16,)


def test_masked_batch_norm_skips_padding_and_equals_batch_norm_without_it():
    torch.manual_seed(0)
    x = torch.randn(3, 4, 6)
    plain, masked = torch.nn.BatchNorm1d(4), MaskedBatchNorm1d(4)
    np.testing.assert_allclose(plain(x).detach(), masked(x).detach(), atol=1e-5)
    # with a mask the statistics are those of the valid steps alone
    mask = torch.ones(3, 1, 6)
    mask[1, :, 2:] = 0
    padded = x.clone()
    padded[1, :, 2:] = 50.0
    m1, m2 = MaskedBatchNorm1d(4), MaskedBatchNorm1d(4)
    out1 = m1(padded, mask) * mask
    out2 = m2(x, mask) * mask
    np.testing.assert_allclose(out1.detach(), out2.detach(), atol=1e-5)
    np.testing.assert_allclose(m1.running_mean, m2.running_mean, atol=1e-6)
    valid = torch.cat([x[0], x[1, :, :2], x[2]], dim=1)
    np.testing.assert_allclose(m1.running_mean, 0.1 * valid.mean(1), atol=1e-6)
    np.testing.assert_allclose(m1.running_var, 0.9 + 0.1 * valid.var(1), atol=1e-5)
    # one value per channel in training: no error, normalised to the bias
    np.testing.assert_allclose(MaskedBatchNorm1d(4)(torch.randn(1, 4, 1)).detach(),
                               np.zeros((1, 4, 1)), atol=1e-6)


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_bit_identical_refits_and_pickling(options):
    X, y = make_ragged()
    params = dict(TINY, dropout=0.3, **options)
    a = LSTMClassifier(**params).fit(X, y)
    b = LSTMClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    loaded = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(loaded.predict_proba(X), a.predict_proba(X))
    assert clone(a).get_params() == a.get_params()


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_continued_training_equals_one_long_run(options):
    X, y = make_ragged()
    # one schedule (the default cosine) spans both fits
    two = LSTMClassifier(warm_start=True, lr_schedule_epochs=6, **TINY,
                         **options).fit(X, y).fit(X, y)
    one = LSTMClassifier(**dict(TINY, max_epochs=6), lr_schedule_epochs=6,
                         **options).fit(X, y)
    np.testing.assert_allclose(one.predict_proba(X), two.predict_proba(X), rtol=1e-5,
                               atol=1e-6)


def test_conv_branch_widths_and_head():
    clf = LSTMClassifier(conv_filters=6, **TINY).fit(*make_ragged())
    convs = clf.net_.module_.conv.convs
    assert [c.out_channels for c in convs] == [6, 12, 6]
    assert [c.kernel_size[0] for c in convs] == [8, 5, 3]
    assert clf.net_.module_.head.in_features == 8 + 6


def test_token_input_with_every_option():
    rng = np.random.RandomState(0)
    X = rng.randint(2, 5, size=(40, 12))
    y = rng.randint(0, 2, size=40)
    X[y == 1, 3] = 5
    X[::3, 8:] = 0
    clf = LSTMClassifier(embedding_dim=4, patch_size=3, conv_filters=4,
                         pooling="attention", hidden_size=8, max_epochs=40,
                         lr=0.03, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.9
    ragged = [row[row > 0] for row in X[:6]]
    np.testing.assert_allclose(clf.predict_proba(ragged),
                               np.vstack([clf.predict_proba([r]) for r in ragged]),
                               rtol=1e-5, atol=1e-6)


def test_options_learn_a_long_series_task():
    # a bump early in a 120-step series: the plain LSTM reads 120 steps, the
    # patched one 15, the convolutional branch sees the bump's shape
    rng = np.random.RandomState(0)
    X = rng.normal(scale=0.3, size=(80, 120)).astype(np.float32)
    y = rng.randint(0, 2, size=80)
    X[y == 1, 10:20] += np.hanning(10) * 2
    for options in (dict(patch_size=8), dict(conv_filters=8)):
        clf = LSTMClassifier(hidden_size=16, max_epochs=30, lr=0.01, random_state=0,
                             **options).fit(X[:60], y[:60])
        assert clf.score(X[60:], y[60:]) >= 0.9, options


def test_regressor_with_options():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 24, 2)).astype(np.float32)
    y = X[:, :, 0].sum(axis=1)
    reg = LSTMRegressor(patch_size="auto", conv_filters=8, pooling="attention",
                        hidden_size=16, max_epochs=40, lr=0.01, random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.5
    assert reg.predict(X[:5]).shape == (5,)


@pytest.mark.parametrize("param, value, match", [
    ("patch_size", 0, "patch_size"),
    ("patch_size", "big", "patch_size"),
    ("conv_filters", -1, "conv_filters"),
    ("pooling", "sum", "pooling"),
])
def test_bad_option_values_are_refused(param, value, match):
    with pytest.raises(ValueError, match=match):
        LSTMClassifier(**{param: value}, **TINY).fit(*make_ragged())

