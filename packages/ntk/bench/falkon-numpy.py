"""numpy + scipy peer of the krr_falkon_fmnist_60000 benchmark (packages/ntk/bench/krr.bench.ts).

The same Falkon protocol as tangent's fitLargeScaleKrr (packages/kernels/src/large-scale-krr.ts),
written plainly in numpy, float64 throughout:
  - Fashion-MNIST from the idx .gz files, pixels / 255, targets one-hot minus 1/10;
  - the validation split and the centres re-derived from the same seeded generator as tangent's
    (xoshiro128** seeded by splitmix32, Fisher-Yates): validation rows = the head of
    permutation(n) at `seed`; M uniform centres among the fit rows = the head of
    permutation(n_fit) at centreSeed(seed) = (seed + 1)·0x85ebca6b mod 2³², so both sides fit
    on the same rows with the same centres (the JSON carries a checksum of each to show it);
  - the two-layer ReLU NTK Θ(x, z) = |x||z|/(2πd)·[sin φ + 2(π − φ) cos φ] (relu-kernel-recursion.ts
    at depth 2, σ_w = 1, σ_b = 0), K_nM computed once with its rows in the order fit rows then
    validation rows, and reused by every λ and the refit: kept (--mode stored, each CG product
    K_nMᵀ(K_nM Z)) or summed into K_nMᵀK_nM by SYRK over row blocks (--mode gram, tangent's
    crossKernel: gram; each CG product one M×M GEMM; the validation rows' K kept to score them);
  - Falkon's preconditioner (Rudi et al. 2017, Alg. 1): L = chol(K_MM + ε·mean(diag)·I) and
    G = LᵀL/M once, L_A = chol(G + λ/n·I) per (λ, n); column-wise CG on the preconditioned system
    to relative residual `tol`, at most `max_iter` iterations;
  - λ from the largest down on the fit rows, each CG warm-started at the previous α, the best λ
    by validation accuracy (ties: the λ listed first), then the refit on all rows warm-started at
    that λ's validation α; test accuracy by argmax.
Timed: reading the files, then everything from K_nM to the test predictions (as tangent's run, whose
time also includes writing its artifacts); the pure-Python shuffles that re-derive the split are not.

Run: OPENBLAS_NUM_THREADS=2 python3 packages/ntk/bench/falkon-numpy.py --data-dir $TANGENT_DATA_DIR
Prints one JSON line: {"seconds", "accuracy", "lambda", "cg_iterations", "validation", ...}.
"""
import argparse
import gzip
import json
import os
import resource
import sys
import time

import numpy as np

try:
    from scipy.linalg import solve_triangular
    from scipy.linalg.blas import dsyrk
except ImportError:  # the peer needs triangular solves; numpy alone has none
    sys.exit("falkon-numpy.py: scipy is required (scipy.linalg.solve_triangular); set TANGENT_PEER_PYTHON to a python with numpy and scipy")

M32 = 0xFFFFFFFF


class Rng:
    """tangent's rng(seed) (packages/linalg/src/random.ts): xoshiro128** seeded through splitmix32."""

    def __init__(self, seed):
        s = seed & M32
        state = []
        for _ in range(4):
            s = (s + 0x9E3779B9) & M32
            z = s
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
            state.append((z ^ (z >> 16)) & M32)
        self.s = state

    def next(self):
        s0, s1, s2, s3 = self.s
        x = (s1 * 5) & M32
        result = ((((x << 7) | (x >> 25)) & M32) * 9) & M32
        t = (s1 << 9) & M32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 11) | (s3 >> 21)) & M32
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self):
        a = self.next() >> 5
        b = self.next() >> 6
        return (a * 67108864 + b) / 9007199254740992

    def permutation(self, n):
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = int(self.uniform() * (i + 1))
            p[i], p[j] = p[j], p[i]
        return np.array(p, dtype=np.int64)


def centre_seed(seed):
    return ((seed + 1) * 0x85EBCA6B) & M32


def read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        buf = f.read()
    head = 16 if magic == 2051 else 8
    if int.from_bytes(buf[0:4], "big") != magic:
        sys.exit(f"{path}: not an idx file with magic {magic}")
    n = int.from_bytes(buf[4:8], "big")
    body = np.frombuffer(buf, dtype=np.uint8, offset=head)
    return body.reshape(n, -1) if magic == 2051 else body


def load(data_dir, prefix):
    d = os.path.join(data_dir, "fashion-mnist")
    X = read_idx(os.path.join(d, f"{prefix}-images-idx3-ubyte.gz"), 2051).astype(np.float64) / 255.0
    y = read_idx(os.path.join(d, f"{prefix}-labels-idx1-ubyte.gz"), 2049).astype(np.int64)
    return X, y


def ntk(A, nA, B, nB, d):
    """Θ(a_i, b_j) for rows of A and B with row norms nA, nB."""
    r = np.outer(nA, nB)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(r > 0, (A @ B.T) / r, 0.0)
    np.clip(c, -1.0, 1.0, out=c)
    phi = np.arccos(c)
    return r / (2 * np.pi * d) * (np.sqrt(1 - c * c) + 2 * (np.pi - phi) * c)


def ntk_into(out, A, C, block=4096):
    nA, nC = np.linalg.norm(A, axis=1), np.linalg.norm(C, axis=1)
    for r0 in range(0, A.shape[0], block):
        r1 = min(A.shape[0], r0 + block)
        out[r0:r1] = ntk(A[r0:r1], nA[r0:r1], C, nC, A.shape[1])


def cg(apply, B, tol, max_iter, x0=None):
    """Column-wise CG (conjugate-gradient.ts): each column its own step, one shared A·P."""
    X = np.zeros_like(B) if x0 is None else x0.copy()
    R = B.copy() if x0 is None else B - apply(X)
    bnorm = np.linalg.norm(B, axis=0)
    rr = np.sum(R * R, axis=0)
    P = R.copy()

    def rel():
        r = np.where(bnorm > 0, np.sqrt(rr) / np.where(bnorm > 0, bnorm, 1), 0.0)
        return r, r > tol

    res, active = rel()
    it = 0
    while it < max_iter and res.max() > tol:
        AP = apply(P)
        pAp = np.sum(P * AP, axis=0)
        alpha = np.where(active, rr / np.where(active, pAp, 1), 0.0)
        X += alpha * P
        R -= alpha * AP
        rr_new = np.sum(R * R, axis=0)
        beta = np.where(active, rr_new / np.where(rr > 0, rr, 1), 0.0)
        P = np.where(active, R + beta * P, P)
        rr = rr_new
        res, active = rel()
        it += 1
    return X, it, float(res.max())


class Stored:
    """K_nM kept (n × M): each CG product is K_nMᵀ(K_nM Z), two passes over it."""

    def __init__(self, Knm, Y):
        self.K, self.n = Knm, Knm.shape[0]
        self.rhs = Knm.T @ Y

    def normal(self, Z):
        return self.K.T @ (self.K @ Z)


class Gram:
    """K_nMᵀK_nM (M × M) summed by SYRK over row blocks made and dropped: each CG product is one M×M GEMM."""

    def __init__(self, H, rhs, n):
        self.H, self.rhs, self.n = H, rhs, n

    def normal(self, Z):
        return self.H @ Z


def gram_pass(X, C, Y, cuts, keep, block=6710):
    """Per segment [cuts[s], cuts[s+1]) of X's rows: (Σ K_bᵀK_b, K_sᵀY_s, the K rows if s in keep)."""
    M, d = C.shape[0], X.shape[1]
    nX, nC = np.linalg.norm(X, axis=1), np.linalg.norm(C, axis=1)
    out = []
    for s in range(len(cuts) - 1):
        H = np.zeros((M, M), order="F")
        R = np.zeros((M, Y.shape[1]))
        rows = np.empty((cuts[s + 1] - cuts[s], M)) if s in keep else None
        for b0 in range(cuts[s], cuts[s + 1], block):
            b1 = min(cuts[s + 1], b0 + block)
            Kb = ntk(X[b0:b1], nX[b0:b1], C, nC, d)
            H = dsyrk(1.0, Kb.T, beta=1.0, c=H, lower=1, overwrite_c=1)
            R += Kb.T @ Y[b0:b1]
            if rows is not None:
                rows[b0 - cuts[s] : b1 - cuts[s]] = Kb
        H = np.tril(H) + np.tril(H, -1).T
        out.append((H, R, rows))
    return out


def falkon(problem, L, G, lam, tol, max_iter, alpha0=None):
    n, M = problem.n, L.shape[0]
    A = G.copy()
    A[np.diag_indices(M)] += lam / n
    LA = np.linalg.cholesky(A)
    lam_f = lam / n

    def apply(V):
        U = solve_triangular(LA, V, lower=True, trans="T", check_finite=False)
        Z = solve_triangular(L, U, lower=True, trans="T", check_finite=False)
        S = solve_triangular(L, problem.normal(Z), lower=True, check_finite=False)
        return solve_triangular(LA, S / n + lam_f * U, lower=True, check_finite=False)

    b = solve_triangular(LA, solve_triangular(L, problem.rhs, lower=True, check_finite=False), lower=True, check_finite=False) / np.sqrt(n)
    x0 = None if alpha0 is None else np.sqrt(n) * (LA.T @ (L.T @ alpha0))
    beta, it, res = cg(apply, b, tol, max_iter, x0)
    alpha = solve_triangular(L, solve_triangular(LA, beta, lower=True, trans="T", check_finite=False), lower=True, trans="T", check_finite=False) / np.sqrt(n)
    return alpha, it, res


def accuracy(F, labels):
    return float(np.mean(np.argmax(F, axis=1) == labels))


def checksum(idx):
    idx = np.sort(np.asarray(idx, dtype=np.int64))
    return int(np.sum(idx * np.arange(1, len(idx) + 1, dtype=np.int64)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=os.environ.get("TANGENT_DATA_DIR", "data/raw"))
    ap.add_argument("--lambdas", default="0.003,0.01")
    ap.add_argument("--centres", type=int, default=5000)
    ap.add_argument("--validation", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol", type=float, default=1e-6)
    ap.add_argument("--max-iter", type=int, default=40)
    ap.add_argument("--jitter", type=float, default=1e-10)
    ap.add_argument("--train-subset", type=int, default=None, help="first n training rows (tangent's data.trainSubset)")
    ap.add_argument("--test-subset", type=int, default=None, help="first n test rows")
    ap.add_argument("--mode", choices=["stored", "gram"], default="stored", help="K_nM kept, or K_nMᵀK_nM made in one pass (tangent's crossKernel)")
    a = ap.parse_args()
    lambdas = [float(x) for x in a.lambdas.split(",")]
    t0 = time.perf_counter()
    X, y = load(a.data_dir, "train")
    Xt, yt = load(a.data_dir, "t10k")
    X, y = X[: a.train_subset], y[: a.train_subset]
    Xt, yt = Xt[: a.test_subset], yt[: a.test_subset]
    t_load = time.perf_counter()
    n, d = X.shape
    K = 10
    Y = np.eye(K)[y] - 1.0 / K
    n_val = int(np.floor(a.validation * n + 0.5))  # Math.round
    perm = Rng(a.seed).permutation(n) if a.validation > 0 else np.arange(0)
    is_val = np.zeros(n, bool)
    is_val[perm[:n_val]] = True
    fit, val = np.flatnonzero(~is_val), np.flatnonzero(is_val)
    centres = np.sort(fit[Rng(centre_seed(a.seed)).permutation(len(fit))[: a.centres]])
    order = np.concatenate([fit, val])
    t_setup = time.perf_counter()  # the pure-Python shuffles above are not timed: tangent's take milliseconds

    C = X[centres]
    M = len(centres)
    Yo = Y[order]
    nf = len(fit)
    Xo = X[order]
    if a.mode == "stored":
        Knm = np.empty((n, M))
        ntk_into(Knm, Xo, C)
        fit_problem, all_problem = Stored(Knm[:nf], Yo[:nf]), Stored(Knm, Yo)
        val_scores = lambda alpha: Knm[nf:] @ alpha  # noqa: E731
    else:
        segs = gram_pass(Xo, C, Yo, [0, nf, n] if nf < n else [0, n], [1] if nf < n else [])
        fit_problem = Gram(segs[0][0], segs[0][1], nf)
        all_problem = Gram(sum(s[0] for s in segs), sum(s[1] for s in segs), n) if nf < n else fit_problem
        val_scores = lambda alpha: segs[1][2] @ alpha  # noqa: E731
    Kmm = ntk(C, np.linalg.norm(C, axis=1), C, np.linalg.norm(C, axis=1), d)
    Kmm[np.diag_indices(M)] += a.jitter * np.trace(Kmm) / M
    L = np.linalg.cholesky(Kmm)
    G = (L.T @ L) / M
    t_knm = time.perf_counter()

    validation = []
    best = {"lambda": lambdas[0], "acc": -1.0, "alpha": None}
    if a.validation > 0 and len(lambdas) > 1:
        prev = None
        for lam in sorted(lambdas, reverse=True):
            alpha, it, res = falkon(fit_problem, L, G, lam, a.tol, a.max_iter, prev)
            prev = alpha
            acc = accuracy(val_scores(alpha), y[val])
            validation.append({"lambda": lam, "accuracy": round(acc, 4), "iterations": it, "residual": res})
            if acc > best["acc"] or (acc == best["acc"] and lambdas.index(lam) < lambdas.index(best["lambda"])):
                best = {"lambda": lam, "acc": acc, "alpha": alpha}
    alpha, it, res = falkon(all_problem, L, G, best["lambda"], a.tol, a.max_iter, best["alpha"])
    t_fit = time.perf_counter()
    F = np.empty((Xt.shape[0], K))
    nC = np.linalg.norm(C, axis=1)
    nt = np.linalg.norm(Xt, axis=1)
    for r0 in range(0, Xt.shape[0], 4096):
        r1 = min(Xt.shape[0], r0 + 4096)
        F[r0:r1] = ntk(Xt[r0:r1], nt[r0:r1], C, nC, d) @ alpha
    acc = accuracy(F, yt)
    t_end = time.perf_counter()
    print(
        json.dumps(
            {
                "seconds": round((t_load - t0) + (t_end - t_setup), 2),
                "accuracy": round(acc, 4),
                "lambda": best["lambda"],
                "cg_iterations": it,
                "cg_residual": res,
                "validation": validation,
                "knm_seconds": round(t_knm - t_setup, 1),
                "fit_seconds": round(t_fit - t_setup, 1),
                "predict_seconds": round(t_end - t_fit, 1),
                "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
                "centres_checksum": checksum(centres),
                "validation_checksum": checksum(val),
                "numpy": np.__version__,
                "mode": a.mode,
            }
        )
    )


if __name__ == "__main__":
    main()
