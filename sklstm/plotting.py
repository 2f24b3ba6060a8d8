"""Figures for fitted estimators and hyperparameter searches.

matplotlib is an optional dependency: install it with
``pip install 'sklstm[plot]'``. It is imported only when a function of this
module is called.

Every function draws on the Axes given as ``ax`` (a new figure when ``ax`` is
None) and returns that Axes, so figures can be combined and restyled with
matplotlib's usual calls.

The search functions read ``cv_results_`` and work with any fitted
scikit-learn search: :class:`~sklstm.search.BayesSearchCV`,
:class:`~sklstm.search.GeneticSearchCV`,
:class:`~sklearn.model_selection.GridSearchCV`,
:class:`~sklearn.model_selection.RandomizedSearchCV`, ...
"""

from numbers import Real

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "plot_generation_scores",
    "plot_learning_curve",
    "plot_param_scores",
    "plot_rung_scores",
    "plot_search_history",
]

_MISSING_MATPLOTLIB = (
    "sklstm.plotting needs matplotlib, which is not installed. "
    "Install it with: pip install 'sklstm[plot]'  (or: pip install matplotlib)"
)


def _pyplot():
    """Import matplotlib.pyplot, or explain how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(_MISSING_MATPLOTLIB) from exc
    return plt


def _axes(ax):
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _integer_ticks(axis):
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


# ---------------------------------------------------------------------------
# learning curves


def _final_estimator(estimator):
    """The estimator that holds the loss curve: last step of a Pipeline,
    best estimator of a fitted search."""
    if hasattr(estimator, "best_estimator_"):
        estimator = estimator.best_estimator_
    elif hasattr(estimator, "cv_results_"):
        raise ValueError(
            f"This {type(estimator).__name__} was fitted with refit=False, so it "
            "has no best_estimator_ whose loss curve could be plotted; refit the "
            "best candidate (refit=True) or plot an estimator you fitted."
        )
    while hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    return estimator


def _validation_losses(estimator):
    """(epochs, losses) of the validation loss in the skorch history, if any."""
    history = getattr(getattr(estimator, "net_", None), "history", None)
    if history is None:
        return [], []
    epochs, losses = [], []
    for i, row in enumerate(history, start=1):
        loss = row.get("valid_loss")
        if loss is not None:
            epochs.append(i)
            losses.append(float(loss))
    return epochs, losses


def plot_learning_curve(estimator, ax=None, *, validation=True):
    """Plot the training loss of a fitted network, epoch by epoch.

    Parameters
    ----------
    estimator : estimator
        A fitted :class:`~sklstm.LSTMClassifier` or
        :class:`~sklstm.LSTMRegressor`, a fitted
        :class:`~sklearn.pipeline.Pipeline` ending in one, or a fitted search
        whose ``best_estimator_`` is one of these. Any estimator with a
        ``loss_curve_`` attribute works (for example scikit-learn's
        :class:`~sklearn.neural_network.MLPClassifier`).
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure is created when None.
    validation : bool, default=True
        Also plot the loss on the validation data held out by
        ``early_stopping=True`` (taken from the skorch history,
        ``estimator.net_.history``), when there is one.

    Returns
    -------
    ax : matplotlib Axes
        The Axes, with one line labelled ``"training loss"`` (``loss_curve_``
        against the epochs 1, 2, ...) and, with early stopping, one labelled
        ``"validation loss"`` and a vertical line at the epoch of the lowest
        validation loss (the weights that early stopping restores).

    Raises
    ------
    ValueError
        If the estimator is not fitted (:class:`~sklearn.exceptions.NotFittedError`)
        or does not record a loss curve.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklstm import LSTMClassifier
    >>> from sklstm.datasets import make_sequence_classification
    >>> from sklstm.plotting import plot_learning_curve
    >>> X, y = make_sequence_classification(n_samples=20, n_timesteps=8, random_state=0)
    >>> clf = LSTMClassifier(hidden_size=4, max_epochs=2, random_state=0).fit(X, y)
    >>> ax = plot_learning_curve(clf)
    >>> [line.get_label() for line in ax.get_lines()]
    ['training loss']
    >>> len(ax.get_lines()[0].get_ydata())
    2
    """
    final = _final_estimator(estimator)
    if not hasattr(final, "loss_curve_"):
        if hasattr(final, "fit"):
            check_is_fitted(final)  # NotFittedError, a ValueError, if not fitted
        raise ValueError(
            f"{type(final).__name__} does not record a loss curve (no 'loss_curve_' "
            "attribute); plot_learning_curve needs a fitted LSTMClassifier, "
            "LSTMRegressor or another estimator with 'loss_curve_'."
        )
    ax = _axes(ax)
    losses = np.asarray(final.loss_curve_, dtype=float)
    epochs = np.arange(1, len(losses) + 1)
    ax.plot(epochs, losses, marker="o", markersize=3, label="training loss")
    if validation:
        valid_epochs, valid_losses = _validation_losses(final)
        if valid_losses:
            ax.plot(valid_epochs, valid_losses, marker="o", markersize=3,
                    label="validation loss")
            best = valid_epochs[int(np.argmin(valid_losses))]
            ax.axvline(best, linestyle=":", color="0.4",
                       label=f"lowest validation loss (epoch {best})")
    _integer_ticks(ax.xaxis)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(f"Learning curve of {type(final).__name__}")
    ax.legend()
    return ax


# ---------------------------------------------------------------------------
# searches


def _cv_results(search):
    if isinstance(search, dict):
        raise TypeError(
            "Pass the fitted search itself (e.g. plot_search_history(search)), "
            "not its cv_results_ dict."
        )
    results = getattr(search, "cv_results_", None)
    if results is None and not hasattr(search, "_run_search"):
        raise TypeError(
            f"Expected a fitted hyperparameter search with cv_results_ (such as "
            f"GridSearchCV, BayesSearchCV or GeneticSearchCV); got "
            f"{type(search).__name__}. For a fitted estimator's training, use "
            "plot_learning_curve."
        )
    if results is None:
        raise NotFittedError(
            f"This {type(search).__name__} instance has no 'cv_results_': fit the "
            "search before plotting it."
        )
    return results


def _metric_names(results, prefix="mean_test_"):
    return sorted(k[len(prefix):] for k in results if k.startswith(prefix))


def _choose_metric(search, names, metric):
    """The metric to plot among ``names``: ``metric``, the only one, or refit's."""
    if metric is not None:
        if metric in names:
            return metric
        raise ValueError(
            f"metric={metric!r} is not in cv_results_; available metrics: {names}."
        )
    if "score" in names:
        return "score"
    refit = getattr(search, "refit", None)
    if isinstance(refit, str) and refit in names:
        return refit
    raise ValueError(
        f"The search used several metrics {names} and refit does not name one of "
        "them; choose one with the 'metric' argument."
    )


def _score_column(search, results, metric):
    """The ``mean_test_*`` key to plot and the metric's name for labels."""
    name = _choose_metric(search, _metric_names(results), metric)
    return f"mean_test_{name}", name


def _scores(search, metric):
    results = _cv_results(search)
    key, name = _score_column(search, results, metric)
    return results, np.asarray(results[key], dtype=float), name


def _best(scores):
    """Index of the best finite score, or None."""
    finite = np.isfinite(scores)
    if not finite.any():
        return None
    return int(np.flatnonzero(finite)[np.argmax(scores[finite])])


def plot_search_history(search, ax=None, *, metric=None):
    """Plot the best score found so far against the number of candidates.

    Parameters
    ----------
    search : fitted search
        Any fitted scikit-learn hyperparameter search with ``cv_results_``:
        :class:`~sklstm.search.BayesSearchCV`,
        :class:`~sklstm.search.GeneticSearchCV`,
        :class:`~sklearn.model_selection.GridSearchCV`,
        :class:`~sklearn.model_selection.RandomizedSearchCV`, ...
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure is created when None.
    metric : str, default=None
        With multi-metric scoring, the metric to plot (a key of ``scoring``).
        None means the only metric, or the ``refit`` metric when ``refit``
        names one.

    Returns
    -------
    ax : matplotlib Axes
        The Axes, with one point per candidate (labelled ``"candidates"``; the
        x coordinate is the candidate's row in ``cv_results_``, which is the
        order of evaluation, and the y coordinate its mean test score), a
        step line of the running best (``"best so far"``) and a star on the
        best candidate (``"best"``). Candidates whose score is not finite
        (failed fits) have no point.

    Raises
    ------
    ValueError
        If the search is not fitted, or the metric to plot is ambiguous or
        unknown.

    See Also
    --------
    plot_generation_scores : scores by generation of a genetic search.
    plot_param_scores : scores against one hyperparameter.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import RandomizedSearchCV
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklstm.plotting import plot_search_history
    >>> X, y = load_iris(return_X_y=True)
    >>> search = RandomizedSearchCV(DecisionTreeClassifier(random_state=0),
    ...                             {"max_depth": range(1, 8)}, n_iter=5, cv=3,
    ...                             random_state=0).fit(X, y)
    >>> ax = plot_search_history(search)
    >>> len(ax.collections[0].get_offsets())
    5
    """
    results, scores, name = _scores(search, metric)
    ax = _axes(ax)
    index = np.arange(len(scores))
    finite = np.isfinite(scores)
    ax.scatter(index[finite], scores[finite], s=18, alpha=0.6, label="candidates")
    running = np.fmax.accumulate(np.where(finite, scores, np.nan)) if len(scores) else scores
    ax.step(index, running, where="post", color="C3", label="best so far")
    best = _best(scores)
    if best is not None:
        ax.plot([best], [scores[best]], linestyle="none", marker="*", markersize=14,
                color="C3", label="best")
    _integer_ticks(ax.xaxis)
    ax.set_xlabel("candidate (order of evaluation)")
    ax.set_ylabel(f"mean test {name}")
    ax.set_title(f"{type(search).__name__}: {len(scores)} candidates")
    ax.legend()
    return ax


def _logbook_table(logbook):
    """Columns generation, min, mean, max (and best, if logged) of a logbook."""
    rows = [dict(row) for row in logbook]
    if not rows:
        raise ValueError("The search's logbook_ is empty.")
    gen_key = "generation" if "generation" in rows[0] else "gen"
    missing = {gen_key, "min", "mean", "max"} - set(rows[0])
    if missing:
        raise ValueError(
            f"logbook_ records lack the keys {sorted(missing)}; expected one dict "
            "per generation with 'generation' (or 'gen'), 'min', 'mean' and 'max'."
        )
    table = {key: np.array([float(row[k]) for row in rows])
             for key, k in [("generation", gen_key), ("min", "min"), ("mean", "mean"),
                            ("max", "max")]}
    if "best" in rows[0]:
        table["best"] = np.array([float(row["best"]) for row in rows])
    return table


def _generation_table(search, results, metric):
    """The same columns, computed from cv_results_['generation']."""
    key, _ = _score_column(search, results, metric)
    generations = np.asarray(results["generation"], dtype=float)
    scores = np.asarray(results[key], dtype=float)
    table = {"generation": [], "min": [], "mean": [], "max": []}
    for gen in np.unique(generations[np.isfinite(generations)]):
        values = scores[(generations == gen) & np.isfinite(scores)]
        table["generation"].append(gen)
        for stat, func in [("min", np.min), ("mean", np.mean), ("max", np.max)]:
            table[stat].append(func(values) if values.size else np.nan)
    table = {k: np.asarray(v, dtype=float) for k, v in table.items()}
    table["best"] = np.fmax.accumulate(table["max"])
    return table


def plot_generation_scores(search, ax=None, *, metric=None):
    """Plot the spread of scores generation by generation of a genetic search.

    Draws the band between the lowest and the highest score of each
    generation, the mean score, and the best score found so far.

    Parameters
    ----------
    search : fitted search
        A fitted :class:`~sklstm.search.GeneticSearchCV`, or any object with
        a ``logbook_`` (one record per generation with ``generation`` or
        ``gen``, ``min``, ``mean``, ``max`` and optionally ``best``; the
        statistics of the population) or, failing that, a ``generation``
        column in ``cv_results_`` (then the statistics are those of the
        candidates first evaluated in each generation).
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure is created when None.
    metric : str, default=None
        With multi-metric scoring and no ``logbook_``, the metric to plot. A
        ``logbook_`` always holds the search's fitness (the refit metric).

    Returns
    -------
    ax : matplotlib Axes
        The Axes, with a filled band labelled ``"min to max"``, a line
        ``"mean"`` and a step line ``"best so far"``, all against the
        generation number.

    Raises
    ------
    ValueError
        If the search is not fitted or records no generations.

    See Also
    --------
    plot_search_history : best score by candidate, for any search.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklstm.search import GeneticSearchCV
    >>> from sklstm.plotting import plot_generation_scores
    >>> X, y = load_iris(return_X_y=True)
    >>> search = GeneticSearchCV(DecisionTreeClassifier(), {"max_depth": (1, 8)},
    ...                          population_size=4, n_generations=2, cv=3,
    ...                          random_state=0).fit(X, y)
    >>> ax = plot_generation_scores(search)
    >>> ax.get_lines()[0].get_xdata().tolist()
    [0.0, 1.0, 2.0]
    """
    logbook = getattr(search, "logbook_", None)
    if logbook is not None:
        table = _logbook_table(logbook)
    else:
        results = _cv_results(search)
        if "generation" not in results:
            raise ValueError(
                f"{type(search).__name__} records no generations: it has neither a "
                "'logbook_' nor a 'generation' column in cv_results_. Use "
                "plot_search_history for searches that are not genetic."
            )
        table = _generation_table(search, results, metric)
    ax = _axes(ax)
    gens = table["generation"]
    ax.fill_between(gens, table["min"], table["max"], alpha=0.25, color="C0",
                    label="min to max")
    ax.plot(gens, table["mean"], marker="o", markersize=4, color="C0", label="mean")
    if "best" in table:
        ax.step(gens, table["best"], where="post", color="C3", label="best so far")
    ax.set_xlabel("generation")
    ax.set_ylabel("score" if logbook is not None or metric is None else f"score ({metric})")
    ax.set_title(f"{type(search).__name__}: scores by generation")
    _integer_ticks(ax.xaxis)
    ax.legend()
    return ax


def _param_column(results, param):
    """The ``param_*`` key of cv_results_ for ``param``.

    ``param`` may be the full name (``"lstmclassifier__hidden_size"``), the
    name without its Pipeline step prefix (``"hidden_size"``) when that is
    unambiguous, or the cv_results_ key itself.
    """
    params = [k[len("param_"):] for k in results if k.startswith("param_")]
    name = param[len("param_"):] if param.startswith("param_") else param
    if name in params:
        return f"param_{name}"
    matches = [p for p in params if p.endswith(f"__{name}")]
    if len(matches) == 1:
        return f"param_{matches[0]}"
    if matches:
        raise ValueError(
            f"param={param!r} is ambiguous; it matches {sorted(matches)}. Give the "
            "full name."
        )
    raise ValueError(f"param={param!r} is not in cv_results_; searched: {sorted(params)}.")


def _is_number(value):
    return isinstance(value, (Real, np.number)) and not isinstance(value, (bool, np.bool_))


def _sort_key(value):
    if _is_number(value):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def _short(value, width=20):
    text = str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def plot_param_scores(search, param, ax=None, *, metric=None, log_scale=None):
    """Plot the mean test score of every candidate against one hyperparameter.

    Parameters
    ----------
    search : fitted search
        Any fitted scikit-learn hyperparameter search with ``cv_results_``.
    param : str
        The hyperparameter: its full name (``"lstmclassifier__hidden_size"``),
        or the name without a Pipeline step prefix (``"hidden_size"``) when
        that is unambiguous.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure is created when None.
    metric : str, default=None
        With multi-metric scoring, the metric to plot. None means the only
        metric, or the ``refit`` metric when ``refit`` names one.
    log_scale : bool, default=None
        Use a logarithmic x axis. None chooses one for positive numeric values
        that span more than two decades (largest over smallest above 100).

    Returns
    -------
    ax : matplotlib Axes
        The Axes, with one point per candidate that has a finite score and a
        value for ``param`` (labelled ``"candidates"``) and a star on the best
        of them (``"best"``). Numeric values are placed on a numeric axis;
        anything else (strings, booleans, None, objects, or numbers mixed
        with them) becomes a category, one tick per distinct value, sorted.

    Raises
    ------
    ValueError
        If the search is not fitted, or ``param`` or ``metric`` is unknown or
        ambiguous.

    See Also
    --------
    plot_search_history : best score by candidate.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklstm.plotting import plot_param_scores
    >>> X, y = load_diabetes(return_X_y=True)
    >>> search = GridSearchCV(Ridge(), {"alpha": [0.001, 0.1, 10.0]}, cv=3).fit(X, y)
    >>> ax = plot_param_scores(search, "alpha")
    >>> ax.get_xscale()
    'log'
    """
    results, scores, name = _scores(search, metric)
    key = _param_column(results, param)
    column = results[key]
    mask = np.ma.getmaskarray(column)
    values = np.ma.getdata(column)
    keep = ~mask & np.isfinite(scores)
    kept_values = [values[i] for i in np.flatnonzero(keep)]
    kept_scores = scores[keep]
    ax = _axes(ax)

    numeric = bool(kept_values) and all(_is_number(v) for v in kept_values)
    if numeric:
        x = np.asarray(kept_values, dtype=float)
        if log_scale is None:
            log_scale = bool(x.min() > 0 and x.max() / x.min() > 100)
        if log_scale:
            ax.set_xscale("log")
    else:
        categories = sorted({_sort_key(v): v for v in kept_values}.items())
        position = {k: i for i, (k, _) in enumerate(categories)}
        x = np.array([position[_sort_key(v)] for v in kept_values], dtype=float)
        ax.set_xticks(range(len(categories)))
        ax.set_xticklabels([_short(v) for _, v in categories])
        if len(categories):
            ax.set_xlim(-0.5, len(categories) - 0.5)

    ax.scatter(x, kept_scores, s=22, alpha=0.6, label="candidates")
    if len(kept_scores):
        best = int(np.argmax(kept_scores))
        ax.plot([x[best]], [kept_scores[best]], linestyle="none", marker="*",
                markersize=14, color="C3", label="best")
    ax.set_xlabel(key[len("param_"):])
    ax.set_ylabel(f"mean test {name}")
    ax.set_title(f"Score against {key[len('param_'):]}")
    ax.legend()
    return ax


# ---------------------------------------------------------------------------
# multi-fidelity rungs


def _rung_table(search, results, metric):
    """Scores by rung (candidates x rungs, NaN where not trained) and the metric."""
    names = _metric_names(results, prefix="rung0_mean_test_")
    if not names:
        raise ValueError(
            f"{type(search).__name__} records no scores by rung: only a "
            "multi-fidelity search (BayesSearchCV or GeneticSearchCV with "
            "resource='max_epochs') does. Use plot_search_history otherwise."
        )
    metric = _choose_metric(search, names, metric)
    columns = []
    while f"rung{len(columns)}_mean_test_{metric}" in results:
        columns.append(
            np.asarray(results[f"rung{len(columns)}_mean_test_{metric}"], dtype=float)
        )
    return np.column_stack(columns), metric


def plot_rung_scores(search, ax=None, *, metric=None):
    """Plot every candidate's score at each rung of a multi-fidelity search.

    Each candidate is a line from rung to rung, as far as it was trained:
    the lines that stop early are the candidates successive halving stopped,
    those that reach the last rung got the full budget. Lines that cross a
    lot mean that early scores rank the candidates differently from final
    ones, a sign that ``min_resource`` is too small for the data.

    Parameters
    ----------
    search : fitted search
        A :class:`~sklstm.search.BayesSearchCV` or
        :class:`~sklstm.search.GeneticSearchCV` fitted with
        ``resource="max_epochs"``: its ``cv_results_`` holds the columns
        ``rung<k>_mean_test_<metric>``.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure is created when None.
    metric : str, default=None
        With multi-metric scoring, the metric to plot (a key of ``scoring``).
        None means the only metric, or the ``refit`` metric when ``refit``
        names one.

    Returns
    -------
    ax : matplotlib Axes
        The Axes, with one line per candidate against the epochs of each rung
        (``n_resources_``, on a logarithmic axis): grey for candidates stopped
        early (the first labelled ``"stopped early"``), blue for those trained
        for the full budget (``"full budget"``) and red with a star for the
        best candidate (``"best"``). Failed fits have no point.

    Raises
    ------
    ValueError
        If the search is not fitted, is not a multi-fidelity search, or the
        metric to plot is ambiguous or unknown.

    See Also
    --------
    plot_search_history : best score by candidate, for any search.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklstm import LSTMClassifier
    >>> from sklstm.search import GeneticSearchCV
    >>> from sklstm.plotting import plot_rung_scores
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(40, 6, 2).astype("float32")
    >>> y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    >>> search = GeneticSearchCV(
    ...     LSTMClassifier(hidden_size=4, max_epochs=4), {"lr": (1e-3, 1e-1, "log-uniform")},
    ...     population_size=4, n_generations=0, cv=2, random_state=0,
    ...     resource="max_epochs", min_resource=1, reduction_factor=2).fit(X, y)
    >>> search.n_resources_
    [1, 2, 4]
    >>> ax = plot_rung_scores(search)
    >>> sorted(len(line.get_xdata()) for line in ax.get_lines()[:4])  # rungs reached
    [1, 1, 2, 3]
    """
    results = _cv_results(search)
    table, name = _rung_table(search, results, metric)
    n_rungs = table.shape[1]
    epochs = list(getattr(search, "n_resources_", None) or range(1, n_rungs + 1))
    ax = _axes(ax)
    best = getattr(search, "best_index_", None)
    labelled = set()
    for i, row in enumerate(table):
        finite = np.flatnonzero(np.isfinite(row))
        if not finite.size:
            continue
        full = np.isfinite(row[-1])
        kind = "full budget" if full else "stopped early"
        label = None if kind in labelled else kind
        labelled.add(kind)
        ax.plot([epochs[k] for k in finite], row[finite], marker="o", markersize=3,
                linewidth=1, color="C0" if full else "0.6", alpha=0.8 if full else 0.6,
                label=label, zorder=2 if full else 1)
    if best is not None and np.isfinite(table[best]).any():
        row = table[best]
        finite = np.flatnonzero(np.isfinite(row))
        ax.plot([epochs[k] for k in finite], row[finite], color="C3", linewidth=1.5,
                zorder=3)
        ax.plot([epochs[finite[-1]]], [row[finite[-1]]], linestyle="none", marker="*",
                markersize=14, color="C3", label="best", zorder=4)
    ax.set_xscale("log")
    ax.set_xticks(epochs)
    ax.set_xticklabels([str(e) for e in epochs])
    ax.minorticks_off()
    ax.set_xlabel("epochs (rung)")
    ax.set_ylabel(f"mean test {name}")
    ax.set_title(f"{type(search).__name__}: {len(table)} candidates over {n_rungs} rungs")
    ax.legend()
    return ax
