"""numpy/OpenBLAS figures for the linalg benchmarks, same sizes and inputs' structure, one JSON
line each, so `npm run bench` output can be compared on the same machine at the same time.
Usage: python3 packages/linalg/bench/numpy_reference.py [gemm] [cholesky] [eigh] [eigh_n=N]"""
import json, sys, time
import numpy as np

args = sys.argv[1:] or ["gemm", "cholesky", "eigh"]
rng = np.random.default_rng(0)

def timed(f, repeats=3):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2]

if "gemm" in args:
    n = 4096
    for dt in (np.float64, np.float32):
        A = rng.standard_normal((n, n)).astype(dt); B = rng.standard_normal((n, n)).astype(dt)
        s = timed(lambda: A @ B)
        print(json.dumps({"bench": f"numpy_gemm_{'f64' if dt is np.float64 else 'f32'}_4096", "seconds": round(s, 4), "gflops": round(2 * n**3 / s / 1e9, 1)}), flush=True)

if "cholesky" in args:
    n = 7600
    A = rng.uniform(-0.5, 0.5, (n, n)); A = np.tril(A, -1); A = A + A.T; A[np.diag_indices(n)] = n
    b = rng.standard_normal(n)
    try:
        from scipy.linalg import cho_factor, cho_solve
        s = timed(lambda: cho_solve(cho_factor(A, lower=True), b))
        what = "scipy cho_factor+cho_solve"
    except ImportError:
        # numpy has no triangular solve: factor + two general solves overstates the solve part.
        s = timed(lambda: np.linalg.cholesky(A))
        what = "numpy.linalg.cholesky only (no scipy)"
    print(json.dumps({"bench": "numpy_cholesky_solve_f64_7600", "seconds": round(s, 4), "what": what}), flush=True)

if "eigh" in args:
    n = next((int(a.split("=")[1]) for a in args if a.startswith("eigh_n=")), 7600)
    A = rng.standard_normal((n, n)); A = np.tril(A) + np.tril(A, -1).T
    s = timed(lambda: np.linalg.eigh(A), repeats=1)
    print(json.dumps({"bench": f"numpy_eigh_f64_{n}", "seconds": round(s, 4)}), flush=True)
