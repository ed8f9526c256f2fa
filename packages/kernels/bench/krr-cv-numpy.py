"""The krr_cv_7613_d128_5x20 protocol in numpy + scipy, for comparison with ntk.bench.ts.

Random unit-norm inputs (N = 7613, d = 128), the two-layer ReLU NTK
Θ = |x||z|/(2πd)·[sin φ + 2(π − φ) cos φ], stratified 5-fold CV, 20 log-spaced λ in [1e-4, 1e2],
one scipy eigh per fold, α(λ) = V diag(1/(s+λ)) Vᵀ y (argument 'eigh'), or one Cholesky per fold
and λ (argument 'cholesky'); accuracy per fold and λ.
Run: OPENBLAS_NUM_THREADS=2 python3 packages/ntk/bench/krr_cv_numpy.py
(the inputs are numpy's own random draws, not the TS ones; the protocol and sizes are the same).
"""
import json
import sys
import time

import numpy as np
import scipy.linalg

N, D, K_FOLDS = 7613, 128, 5
rs = np.random.default_rng(1)
X = rs.standard_normal((N, D))
X /= np.linalg.norm(X, axis=1, keepdims=True)
t = (X[:, 0] * X[:, 1] * 40 + X[:, 2] * 6 + 0.5 * rs.standard_normal(N) > 0).astype(np.int8)
lambdas = np.logspace(-4, 2, 20)


def ntk_gram(A):
    n = np.linalg.norm(A, axis=1)
    G = A @ A.T
    r = np.outer(n, n)
    c = np.clip(G / r, -1.0, 1.0)
    phi = np.arccos(c)
    return r / (2 * np.pi * A.shape[1]) * (np.sqrt(1 - c * c) + 2 * (np.pi - phi) * c)


def gram_only():
    t0 = time.perf_counter()
    ntk_gram(X)
    return time.perf_counter() - t0


def cv(solver):
    t0 = time.perf_counter()
    K = ntk_gram(X)
    y = 2.0 * t - 1
    fold = np.empty(N, dtype=np.int8)
    deal = 0
    for c in (0, 1):
        idx = rs.permutation(np.flatnonzero(t == c))
        fold[idx] = (deal + np.arange(len(idx))) % K_FOLDS
        deal += len(idx)
    acc = np.zeros((K_FOLDS, len(lambdas)))
    for f in range(K_FOLDS):
        tr, va = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        Ktr = K[np.ix_(tr, tr)]
        if solver == "eigh":
            s, V = scipy.linalg.eigh(Ktr, driver="evd", overwrite_a=True, check_finite=False)
            b = V.T @ y[tr]
            alphas = V @ (b[:, None] / (s[:, None] + lambdas[None, :]))
        else:
            alphas = np.empty((len(tr), len(lambdas)))
            for c, lam in enumerate(lambdas):
                A = Ktr + lam * np.eye(len(tr))
                alphas[:, c] = scipy.linalg.cho_solve(scipy.linalg.cho_factor(A, lower=True, overwrite_a=True, check_finite=False), y[tr], check_finite=False)
        scores = K[np.ix_(va, tr)] @ alphas
        acc[f] = ((scores >= 0) == (t[va][:, None] == 1)).mean(axis=0)
    return time.perf_counter() - t0, acc.mean(axis=0).max()


g = sorted(gram_only() for _ in range(3))[1]
print(json.dumps({"bench": "numpy_ntk_gram_7613_d128", "seconds": round(g, 4), "n": N}), flush=True)
for solver in sys.argv[1:] or ["eigh", "cholesky"]:
    s, best = cv(solver)
    print(json.dumps({"bench": f"numpy_krr_cv_7613_d128_5x20_{solver}", "seconds": round(s, 4), "n": N, "best_cv_accuracy": round(float(best), 4)}), flush=True)
