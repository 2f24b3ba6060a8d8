"""Validation cost of a list of sequences: direct route against check_array.

sklstm validates a list of plain numeric sequences directly (float32
conversion and a finiteness check per sequence). The alternative it replaced
passes every sequence through scikit-learn's ``check_array``. This script
times both on JapaneseVowels (shipped with sklstm), alternating them in one
process, for checking the 270 training series and for a 6-epoch
``SequenceScaler`` + ``LSTMClassifier`` fit and score on 180 of them (the
pipeline validates the list several times). It prints medians and the
ratio.

Usage::

    python benchmarks/ragged_validation.py [--repeats 7]
"""

import argparse
import statistics
import time

import numpy as np
import torch
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier, _data
from sklstm.datasets import load_japanese_vowels
from sklstm.preprocessing import SequenceScaler


def per_sequence_check_array(a, i, ensure_all_finite):
    """The replaced route: scikit-learn's check_array on every sequence."""
    return _data._check_numeric(
        a, name=f"X[{i}]", dtype=np.float32, ensure_all_finite=ensure_all_finite
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    X, y = load_japanese_vowels(split="train")
    pipe = make_pipeline(
        SequenceScaler(),
        LSTMClassifier(max_epochs=6, batch_size=16, hidden_size=16, random_state=0),
    )
    pipe.fit(X[:180], y[:180])  # warm-up outside the timings
    direct = _data._check_sequence_values
    routes = {"check_array per sequence": per_sequence_check_array, "direct": direct}

    def check():
        _data.check_sequences(X)

    def fit_and_score():
        clone(pipe).fit(X[:180], y[:180]).score(X[180:], y[180:])

    print(f"JapaneseVowels train: {len(X)} series, torch threads 1, "
          f"{args.repeats} repeats")
    try:
        for label, task in [("check 270 series", check),
                            ("6-epoch fit + score, 180 series", fit_and_score)]:
            times = {name: [] for name in routes}
            for _ in range(args.repeats):
                for name, route in routes.items():
                    _data._check_sequence_values = route
                    start = time.perf_counter()
                    task()
                    times[name].append(time.perf_counter() - start)
            old = statistics.median(times["check_array per sequence"])
            new = statistics.median(times["direct"])
            print(f"{label:32s} check_array per sequence {old * 1000:8.1f} ms, "
                  f"direct {new * 1000:8.1f} ms, ratio {old / new:5.2f}")
    finally:
        _data._check_sequence_values = direct


if __name__ == "__main__":
    main()
