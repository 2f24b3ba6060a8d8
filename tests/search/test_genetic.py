"""GeneticSearchCV specifics: logbook, hall of fame, algorithms, budgets."""

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from ._utils import data, make_search

X, y = data()
SPACE = {"max_depth": (1, 8), "min_samples_leaf": (0.01, 0.3, "log-uniform"),
         "criterion": ["gini", "entropy"]}


def _search(**kwargs):
    return make_search("genetic", DecisionTreeClassifier(), SPACE, **kwargs)


def test_logbook_hall_of_fame_and_generation_column():
    search = _search(population_size=6, n_generations=3, hall_of_fame_size=3).fit(X, y)
    res, log = search.cv_results_, search.logbook_
    n_rows = len(res["params"])
    assert log.select("generation") == [0, 1, 2, 3]
    assert sum(log.select("n_evaluated")) == n_rows
    assert log.select("n_fits")[-1] == search.n_fits_ == 3 * n_rows
    best = log.select("best")
    assert best == sorted(best) and best[-1] == pytest.approx(search.best_score_)
    # elitism: the best configuration so far is always in the population
    assert log.select("max") == best
    gens = list(res["generation"])
    assert gens == sorted(gens) and gens.count(0) == 6
    hof = search.hall_of_fame_
    assert len(hof) == 3
    assert [h["score"] for h in hof] == sorted((h["score"] for h in hof), reverse=True)
    for h in hof:
        assert res["params"][h["index"]] == h["params"]
        assert res["mean_test_score"][h["index"]] == h["score"]
    assert hof[0]["score"] == search.best_score_


@pytest.mark.parametrize("algorithm", ["eaSimple", "eaMuPlusLambda", "eaMuCommaLambda"])
def test_algorithms(algorithm):
    search = _search(algorithm=algorithm, crossover_probability=0.5,
                     mutation_probability=0.5, offspring_size=6).fit(X, y)
    assert search.n_generations_ == 2 and search.stop_reason_ == "n_generations"


def test_duplicates_come_from_the_cache():
    search = make_search("genetic", DecisionTreeClassifier(),
                         {"max_depth": [1, 2, 3]}, population_size=6,
                         n_generations=3).fit(X, y)
    assert len(search.cv_results_["params"]) <= 3
    assert sum(search.logbook_.select("n_cached")) > 0


def test_no_improvement_and_fit_budget():
    search = make_search("genetic", DecisionTreeClassifier(), {"max_depth": [2]},
                         n_generations=20, n_generations_no_change=2).fit(X, y)
    assert search.stop_reason_ == "no_improvement" and search.n_generations_ == 2
    search = _search(max_fits=7, n_generations=20).fit(X, y)
    assert search.stop_reason_ == "max_fits"
    assert len(search.cv_results_["params"]) == 2 and search.n_fits_ == 6


def test_log_scale_genes_spread_over_decades():
    search = make_search("genetic", space={"C": (1e-4, 1e2, "log-uniform")},
                         population_size=8, n_generations=0).fit(X, y)
    values = np.log10([p["C"] for p in search.cv_results_["params"]])
    # one value per log-decile-ish stratum: from small to large decades
    assert values.min() < -2.5 and values.max() > 0.5


def test_pandas_table_of_the_logbook():
    pd = pytest.importorskip("pandas")
    search = _search().fit(X, y)
    table = pd.DataFrame(search.logbook_)
    assert {"generation", "min", "mean", "max", "std", "n_evaluated",
            "n_cached"} <= set(table.columns)
