"""Access to the state of a running ``BaseSearchCV.fit``.

scikit-learn keeps a search's data, fold settings and accumulated rows in
variables local to ``BaseSearchCV.fit``; ``_run_search`` only receives the
``evaluate_candidates`` closure over them. Multi-fidelity search (which fits
and records rows itself) and checkpoint resume (which records replayed rows)
read and extend those variables through the closure's cells, here.
"""

import inspect

__all__ = []


def closure_cells(evaluate_candidates, needed):
    """The closure cells of ``evaluate_candidates`` by name, and those missing.

    Returns ``(cells, missing)``: a dict from variable name to cell, and the
    names of ``needed`` that the closure does not hold (a scikit-learn version
    that keeps its state differently).
    """
    fn = inspect.unwrap(evaluate_candidates)
    names = getattr(getattr(fn, "__code__", None), "co_freevars", ())
    cells = dict(zip(names, getattr(fn, "__closure__", None) or ()))
    return cells, [name for name in needed if name not in cells]


#: The cells :func:`append_results` extends.
RESULT_CELLS = ("all_candidate_params", "all_out", "all_more_results", "results")


def append_results(search, cells, params, out, more):
    """Append rows to ``fit``'s accumulated lists and reformat, as ``fit`` does.

    ``out`` holds ``_fit_and_score``-style entries, ``search.n_splits_`` per
    candidate; ``more`` maps extra ``cv_results_`` columns to one value per
    candidate.
    """
    cells["all_candidate_params"].cell_contents.extend(params)
    cells["all_out"].cell_contents.extend(out)
    all_more = cells["all_more_results"].cell_contents
    for name, values in more.items():
        all_more[name].extend(values)
    cells["results"].cell_contents = search._format_results(
        cells["all_candidate_params"].cell_contents, search.n_splits_,
        cells["all_out"].cell_contents, all_more,
    )
