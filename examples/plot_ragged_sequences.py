"""Speaker recognition from utterances of different lengths.

JapaneseVowels (shipped with sklstm, UEA archive): nine speakers, each
utterance a sequence of 7 to 29 frames of 12 cepstrum coefficients. The
sequences are passed as a plain list of arrays; no padding by hand. The
scaler learns per-coefficient statistics over every frame of the training
utterances, and the LSTM reads each utterance up to its own last frame.

Run it with ``python examples/plot_ragged_sequences.py``.
"""

# %%
import os

import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier
from sklstm.datasets import load_japanese_vowels
from sklstm.preprocessing import SequenceScaler

FAST = bool(os.environ.get("SKLSTM_EXAMPLE_FAST"))

X_train, y_train = load_japanese_vowels(split="train")
X_test, y_test = load_japanese_vowels(split="test")
lengths = [len(x) for x in X_train]
print(f"{len(X_train)} training utterances, {min(lengths)}-{max(lengths)} frames "
      f"of {X_train[0].shape[1]} coefficients; {len(X_test)} test utterances")

# %%
model = make_pipeline(
    SequenceScaler(),
    LSTMClassifier(hidden_size=64, lr=5e-3, max_epochs=5 if FAST else 60, random_state=0),
)
model.fit(X_train, y_train)
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:  # plotting is optional
    plt = None
if plt is not None:
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ConfusionMatrixDisplay.from_predictions(
        y_test, model.predict(X_test), ax=ax, colorbar=False
    )
    ax.set_title("JapaneseVowels, test set")
    fig.tight_layout()
    fig.savefig("ragged_confusion.png", dpi=80)
    print("mean predicted frames:", np.mean([len(x) for x in X_test]))
