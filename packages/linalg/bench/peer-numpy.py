"""numpy peers of the linalg / kernels benchmarks for tools/bench.ts (one JSON line, "seconds" =
median of 3, taken right after tangent's own timing on the same machine). Arrays come from
numpy's allocator (huge pages where the kernel offers them by madvise), as in any numpy program.

  peer-numpy.py gemm f64|f32 N        C = A B, N×N
  peer-numpy.py ntk_gram N D          the two-layer ReLU NTK Gram of N unit rows in R^D (float64)
"""
import json
import sys
import time

import numpy as np


def timed(f, repeats=3):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2]


rng = np.random.default_rng(0)
what = sys.argv[1]
if what == "gemm":
    dt = np.float64 if sys.argv[2] == "f64" else np.float32
    n = int(sys.argv[3])
    A = rng.standard_normal((n, n)).astype(dt)
    B = rng.standard_normal((n, n)).astype(dt)
    s = timed(lambda: A @ B)
    print(json.dumps({"bench": f"numpy_gemm_{sys.argv[2]}_{n}", "seconds": round(s, 4), "gflops": round(2 * n**3 / s / 1e9, 1)}))
elif what == "ntk_gram":
    n, d = int(sys.argv[2]), int(sys.argv[3])
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)

    def gram():
        nr = np.linalg.norm(X, axis=1)
        G = X @ X.T
        r = np.outer(nr, nr)
        c = np.clip(G / r, -1.0, 1.0)
        phi = np.arccos(c)
        return r / (2 * np.pi * d) * (np.sqrt(1 - c * c) + 2 * (np.pi - phi) * c)

    s = timed(gram)
    print(json.dumps({"bench": f"numpy_ntk_gram_{n}_d{d}", "seconds": round(s, 4)}))
else:
    sys.exit(f"unknown peer benchmark {what}")
