"""The scikit-learn peer of kernel ridge on a labelled dataset: an RBF support-vector classifier.

Reads the rows the pipeline's ntk stage saw (written by datasets.bench.ts from the pca stage's
train.arrow/test.arrow: label, then the unit-norm features, one row a line), tunes C and gamma by
stratified 5-fold cross-validation on the train rows only (the same role as the ntk stage's λ by
CV), refits on all train rows and scores the test rows once. Prints one JSON line: "seconds" is the
wall time of the search, the refit and the prediction; the reading is not timed.

Needs scikit-learn (Debian: apt install python3-sklearn). Usage:
  python3 svc-peer.py --train=train.csv --test=test.csv
"""

import argparse
import json
import time

import numpy as np
import sklearn
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.svm import SVC


def read(path):
    a = np.loadtxt(path, delimiter=",", ndmin=2)
    return a[:, 1:], a[:, 0].astype(int)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    Xtr, ytr = read(a.train)
    Xte, yte = read(a.test)
    t0 = time.perf_counter()
    # gamma on the scale of unit-norm rows (|x − x'|² ∈ [0, 4]); C over five decades
    grid = {"C": np.logspace(-1, 3, 9), "gamma": np.logspace(-1, 2, 7)}
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=a.seed)
    search = GridSearchCV(SVC(kernel="rbf"), grid, cv=cv, scoring="accuracy", n_jobs=1)
    search.fit(Xtr, ytr)
    pred = search.best_estimator_.predict(Xte)
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "seconds": round(seconds, 3),
                "test_accuracy": round(float((pred == yte).mean()), 4),
                "cv_accuracy": round(float(search.best_score_), 4),
                "C": float(search.best_params_["C"]),
                "gamma": float(search.best_params_["gamma"]),
                "train_rows": int(len(ytr)),
                "test_rows": int(len(yte)),
                "sklearn": sklearn.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
