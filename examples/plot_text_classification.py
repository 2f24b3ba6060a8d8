"""Text classification: raw strings -> token ids -> embedding + BiLSTM.

``make_text_classification`` generates SYNTHETIC short "reviews" (filler
words plus sentiment words, some negated as "not good"), so the example runs
offline in seconds. It is not real language: read it as a demonstration of
the pipeline, not as a result about sentiment analysis.

With negations, word order matters: "not good" is negative although "good"
is positive. A bag-of-words model cannot see that; a recurrent model can.

Run it with ``python examples/plot_text_classification.py``.
"""

# %%
import os

from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier
from sklstm.datasets import make_text_classification
from sklstm.preprocessing import TextToSequences

FAST = bool(os.environ.get("SKLSTM_EXAMPLE_FAST"))

texts, labels = make_text_classification(n_samples=600, negation=0.5, random_state=0)
print("example:", texts[0], "->", labels[0])
X_train, X_test, y_train, y_test = train_test_split(
    texts, labels, test_size=0.3, random_state=0, stratify=labels
)

# %%
# The vocabulary is learned on the training texts only; words never seen
# there map to the out-of-vocabulary id at predict time.
lstm = make_pipeline(
    TextToSequences(max_len=40),
    LSTMClassifier(embedding_dim=16, hidden_size=32, bidirectional=True,
                   lr=1e-2, max_epochs=3 if FAST else 30, random_state=0),
)
lstm.fit(X_train, y_train)

bag = make_pipeline(CountVectorizer(), LogisticRegression(max_iter=1000))
bag.fit(X_train, y_train)

print(f"BiLSTM test accuracy:       {lstm.score(X_test, y_test):.3f}")
print(f"bag-of-words test accuracy: {bag.score(X_test, y_test):.3f}")
print("prediction for 'the plot was not good .':",
      lstm.predict(["the plot was not good ."])[0])
