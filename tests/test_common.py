"""scikit-learn's own estimator checks, run on fast instances."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklstm import LSTMClassifier, LSTMRegressor

# Small, quickly-learning instances: the checks fit dozens of times on
# 2-D blobs (read as short univariate series) and expect good accuracy.
# a narrow convolutional branch keeps the many fits of the checks quick
FAST = dict(hidden_size=16, conv_filters=4, max_epochs=40, lr=0.03, batch_size=64,
            random_state=0)

# Every check must pass: no expected failures.
EXPECTED_FAILED_CHECKS = {}


# the defaults use every architecture option (convolutional branch,
# attention, automatic patches, which are 1 step on these short series);
# the plain recurrent net and explicit patches are checked too
# the plain network as before the architecture and training defaults (a
# constant learning rate: with the cosine default it learns too little in
# 40 epochs for check_regressors_train)
PLAIN = dict(FAST, patch_size=1, conv_filters=0, pooling="last", lr_schedule=None)
PATCHED = dict(FAST, patch_size=2)


@parametrize_with_checks(
    [LSTMClassifier(**FAST), LSTMRegressor(**FAST),
     LSTMClassifier(**PLAIN), LSTMRegressor(**PLAIN),
     LSTMClassifier(**PATCHED), LSTMRegressor(**PATCHED)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(type(est).__name__, {}),
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
