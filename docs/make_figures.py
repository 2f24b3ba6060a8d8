"""Draw the figures of the documentation into docs/_static/.

``python docs/make_figures.py`` draws the figures of the plotting page (about
two minutes on two CPU cores) from small, seeded runs on the ItalyPowerDemand
and JapaneseVowels data shipped with sklstm, so running it again gives the
same pictures.

``python docs/make_figures.py examples`` runs every script of ``examples/``
in a scratch directory (one thread each, full settings: several minutes) and
copies each PNG file it writes to ``docs/_static/example_<name>.png``, where
the examples page shows it.

The PNGs are committed; the documentation build runs neither.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklstm import LSTMClassifier  # noqa: E402
from sklstm.datasets import load_italy_power_demand, load_japanese_vowels  # noqa: E402
from sklstm.plotting import (  # noqa: E402
    plot_generation_scores,
    plot_learning_curve,
    plot_param_scores,
    plot_rung_scores,
    plot_search_history,
)
from sklstm.preprocessing import SequenceScaler  # noqa: E402
from sklstm.search import GeneticSearchCV  # noqa: E402

DOCS = Path(__file__).resolve().parent
OUT = DOCS / "_static"
EXAMPLES = DOCS.parent / "examples"


def save(ax, name):
    fig = ax.figure
    fig.tight_layout()
    # no software version in the metadata: the same run gives the same bytes
    fig.savefig(OUT / name, dpi=80, metadata={"Software": None})
    plt.close(fig)
    print("wrote", OUT / name)


def main():
    torch.set_num_threads(1)
    OUT.mkdir(exist_ok=True)
    plt.rcParams.update({"figure.figsize": (6.0, 3.6), "font.size": 9})
    X, y = load_italy_power_demand(split="train")

    model = make_pipeline(
        SequenceScaler(),
        LSTMClassifier(hidden_size=16, lr=1e-2, max_epochs=60, early_stopping=True,
                       validation_fraction=0.2, n_iter_no_change=15,
                       random_state=0),
    ).fit(X, y)
    save(plot_learning_curve(model), "plot_learning_curve.png")

    search = GeneticSearchCV(
        make_pipeline(SequenceScaler(), LSTMClassifier(max_epochs=15, random_state=0)),
        {
            "lstmclassifier__hidden_size": (4, 32),
            "lstmclassifier__lr": (1e-4, 1e-1, "log-uniform"),
            "lstmclassifier__pooling": ["last", "mean", "max"],
        },
        population_size=6, n_generations=5, cv=3, random_state=0,
    ).fit(X, y)
    save(plot_search_history(search), "plot_search_history.png")
    save(plot_generation_scores(search), "plot_generation_scores.png")
    save(plot_param_scores(search, "lr"), "plot_param_scores.png")
    save(plot_param_scores(search, "pooling"), "plot_param_scores_pooling.png")

    X, y = load_japanese_vowels(split="train")
    search = GeneticSearchCV(
        make_pipeline(SequenceScaler(), LSTMClassifier(max_epochs=27, random_state=0)),
        {
            "lstmclassifier__hidden_size": (8, 64, "log-uniform"),
            "lstmclassifier__lr": (1e-3, 1e-1, "log-uniform"),
            "lstmclassifier__optimizer": ["adam", "rmsprop", "sgd"],
        },
        population_size=9, n_generations=1, cv=3, random_state=0,
        resource="max_epochs", min_resource=3, reduction_factor=3,
    ).fit(X, y)
    save(plot_rung_scores(search), "plot_rung_scores.png")


def example_figures():
    OUT.mkdir(exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg")
    for script in sorted(EXAMPLES.glob("*.py")):
        with tempfile.TemporaryDirectory() as scratch:
            print("running", script.name, flush=True)
            subprocess.run([sys.executable, str(script)], cwd=scratch, env=env,
                           check=True, stdout=subprocess.DEVNULL)
            for png in sorted(Path(scratch).glob("*.png")):
                target = OUT / f"example_{png.name}"
                shutil.copy(png, target)
                print("wrote", target)


if __name__ == "__main__":
    if sys.argv[1:] == ["examples"]:
        example_figures()
    else:
        main()
