"""scikit-learn's own estimator checks, run on fast instances."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklstm import LSTMClassifier, LSTMRegressor

# Small, quickly-learning instances: the checks fit dozens of times on
# 2-D blobs (read as short univariate series) and expect good accuracy.
FAST = dict(hidden_size=16, max_epochs=40, lr=0.03, batch_size=64, random_state=0)

# Every check must pass: no expected failures.
EXPECTED_FAILED_CHECKS = {}


# the architecture options switched on: patches, convolutional branch, attention
OPTIONS = dict(patch_size=2, conv_filters=4, pooling="attention")


@parametrize_with_checks(
    [LSTMClassifier(**FAST), LSTMRegressor(**FAST),
     LSTMClassifier(**FAST, **OPTIONS), LSTMRegressor(**FAST, **OPTIONS)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(type(est).__name__, {}),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
