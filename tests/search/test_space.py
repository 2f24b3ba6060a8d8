"""The search-space vocabulary and the default LSTM space."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from skopt.space import Categorical, Integer, Real

from sklstm.search import default_lstm_space
from sklstm.search._space import _parse_search_spaces


def _dims(space):
    (sub,) = _parse_search_spaces(space)
    return {d.name: d for d in sub.dimensions}


def test_tuples_lists_and_skopt_dimensions():
    dims = _dims({
        "a": (1, 5),
        "b": (0.0, 1.0),
        "c": (1, 4.5),
        "d": (1e-4, 1e-1, "log-uniform"),
        "e": ["x", "y"],
        "f": Integer(2, 64, prior="log-uniform", base=2),
        "g": Real(0.1, 0.2),
        "h": Categorical(["p", "q"], prior=[0.25, 0.75]),
        "i": np.array([1, 2, 3]),
        "j": range(2, 5),
    })
    assert (dims["a"].kind, dims["a"].low, dims["a"].high, dims["a"].log) == ("int", 1, 5, False)
    assert dims["b"].kind == "real" and dims["c"].kind == "real"
    assert dims["d"].kind == "real" and dims["d"].log
    assert dims["e"].kind == "cat" and dims["e"].choices == ("x", "y")
    assert dims["f"].kind == "int" and dims["f"].log and dims["f"].base == 2
    assert dims["g"].kind == "real" and not dims["g"].log
    assert dims["h"].probs == (0.25, 0.75)
    assert dims["i"].choices == (1, 2, 3)
    assert dims["j"].kind == "cat" and dims["j"].choices == (2, 3, 4)


def test_subspaces_and_sorted_names():
    subs = _parse_search_spaces([{"b": [1], "a": (0, 3)}, {"c": (0.0, 1.0)}])
    assert [s.names for s in subs] == [("a", "b"), ("c",)]


def test_objects_encoded_by_index():
    unhashable = {"w": [1, 2]}
    (sub,) = _parse_search_spaces({"opt": [torch.optim.Adam, torch.optim.SGD, unhashable]})
    (dim,) = sub.to_skopt()
    assert isinstance(dim, Categorical) and list(dim.categories) == [0, 1, 2]
    key = sub.canonical([2])
    assert key == (2,) and sub.params(key) == {"opt": unhashable}
    assert sub.describe(key) == "opt=#2"  # no repr, so no memory address
    assert pickle.loads(pickle.dumps(sub)).params((0,)) == {"opt": torch.optim.Adam}


def test_skopt_dimensions_are_fresh_copies():
    user_dim = Real(1e-3, 1.0, prior="log-uniform")
    (sub,) = _parse_search_spaces({"C": user_dim})
    assert sub.to_skopt()[0] is not user_dim
    assert sub.to_skopt()[0].prior == "log-uniform"


def test_canonical_types():
    (sub,) = _parse_search_spaces({"a": (1, 5), "b": (0.0, 1.0), "c": ["x", "y"]})
    key = sub.canonical([np.int64(3), np.float64(0.5), np.int64(1)])
    assert key == (3, 0.5, 1)
    assert [type(v) for v in key] == [int, float, int]


@pytest.mark.parametrize(
    "space, match",
    [
        ({"a": (1,)}, "tuple search dimension"),
        ({"a": (1, 2, 3, 4)}, "tuple search dimension"),
        ({"a": ("x", "y")}, "must be numbers"),
        ({"a": (5, 1)}, "smaller than"),
        ({"a": (1.0, 1.0)}, "smaller than"),
        ({"a": (0.0, 1.0, "log-uniform")}, "positive bounds"),
        ({"a": (1, 2, "normal")}, "Invalid prior"),
        ({"a": []}, "empty"),
        ({"a": 3}, "Invalid search dimension"),
        ({"a": "abc"}, "Invalid search dimension"),
        ({"a": (1.0, float("inf"))}, "finite"),
        ({1: [1, 2]}, "parameter names"),
        ({}, "at least one.*cross_validate"),
        ([], "empty list"),
        ("C", "must be a dict"),
        ([{"a": [1]}, 3], "must be a dict"),
    ],
)
def test_bad_spaces_raise(space, match):
    with pytest.raises(ValueError, match=match):
        _parse_search_spaces(space)


def test_unknown_parameter_is_reported():
    with pytest.raises(ValueError, match="Invalid parameter 'foo'"):
        _parse_search_spaces({"foo": [1]}, LogisticRegression())
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    # nested names are checked on their first component only
    _parse_search_spaces({"logisticregression__C": (0.1, 1.0)}, pipe)


def test_default_space_unprefixed():
    space = default_lstm_space()
    assert set(space) == {"hidden_size", "num_layers", "dropout", "lr", "batch_size",
                          "conv_filters", "pooling"}
    assert space["hidden_size"].prior == "log-uniform"
    assert (space["hidden_size"].low, space["hidden_size"].high) == (32, 128)
    assert (space["num_layers"].low, space["num_layers"].high) == (1, 2)
    assert space["lr"].prior == "log-uniform"
    assert set(space["pooling"].categories) == {"attention", "last", "mean"}
    assert default_lstm_space() is not space  # a new dict each time


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_the_estimators_defaults_lie_in_the_default_space(kind):
    # so that a search with the default space starts from the defaults
    # (the regressor's default, no convolutional branch, included)
    from sklstm import LSTMClassifier, LSTMRegressor
    from sklstm.search._space import _parse_search_spaces, initial_keys

    est = LSTMClassifier() if kind == "classifier" else LSTMRegressor()
    subspaces = _parse_search_spaces(default_lstm_space(est), est)
    keys = initial_keys(subspaces, est, "estimator")
    assert len(keys) == 1
    params = subspaces[0].params(keys[0][1])
    assert params == {name: est.get_params()[name] for name in params}


def test_default_space_finds_the_lstm_step():
    from sklstm import LSTMClassifier, LSTMRegressor

    assert set(default_lstm_space(LSTMRegressor())) == set(default_lstm_space())
    pipe = make_pipeline(StandardScaler(), LSTMClassifier())
    assert "lstmclassifier__hidden_size" in default_lstm_space(pipe)
    nested = Pipeline([("prep", StandardScaler()),
                       ("model", Pipeline([("net", LSTMClassifier())]))])
    assert "model__net__lr" in default_lstm_space(nested)
    # the parsed default space validates against the estimator
    (sub,) = _parse_search_spaces(None, nested)
    assert len(sub) == len(default_lstm_space())


def test_default_space_errors():
    from sklstm import LSTMClassifier

    with pytest.raises(ValueError, match="search_spaces must be given"):
        default_lstm_space(LogisticRegression())
    with pytest.raises(ValueError, match="search_spaces must be given"):
        _parse_search_spaces(None, make_pipeline(StandardScaler(), LogisticRegression()))
    two = Pipeline([("a", LSTMClassifier()), ("b", LSTMClassifier())])
    with pytest.raises(ValueError, match="ambiguous"):
        default_lstm_space(two)
