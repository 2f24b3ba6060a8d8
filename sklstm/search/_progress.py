"""Progress output of a search (``verbose >= 1``).

In a terminal or a notebook a tqdm bar counts candidates (done out of the
most there can be), with the best score so far, the fits run and the elapsed
time; it is redrawn in place. Where the output is a log or a pipe (CI,
``nohup``, a file) one plain line per batch or generation is printed instead,
so logs stay readable. The choice is the one the estimators' epoch progress
makes (:func:`sklstm._training._interactive`).
"""

import sys

from .._training import _interactive

__all__ = []


class SearchProgress:
    """Progress of one search ``fit``; created on the first report.

    Parameters
    ----------
    name : str
        Name of the searcher, shown in front of the bar or line.
    total : int
        Most candidates the search can evaluate.
    stream : file-like, default=None
        Where to write; ``sys.stdout`` when None.
    """

    def __init__(self, name, total, stream=None):
        self.name = name
        self.total = total
        self.stream = stream if stream is not None else sys.stdout
        self.bar = None
        if _interactive(self.stream):
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=name, unit="cand", file=self.stream,
                            leave=True, dynamic_ncols=True)

    def update(self, done, best, n_fits, line):
        """Show ``done`` candidates; ``line`` is the plain-text form."""
        if self.bar is None:
            print(line, file=self.stream, flush=True)
            return
        if done > self.bar.total:  # pragma: no cover - defensive
            self.bar.total = done
        self.bar.set_postfix_str(f"best {best}, {n_fits} fits", refresh=False)
        self.bar.update(done - self.bar.n)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
