"""numpy peers of the linalg / kernels benchmarks for tools/bench.ts (one JSON line, "seconds" =
median of 3, taken right after tangent's own timing on the same machine). Arrays come from
numpy's allocator (huge pages where the kernel offers them by madvise), as in any numpy program.

  peer-numpy.py gemm f64|f32 N        C = A B, N×N, into an output allocated once
  peer-numpy.py ntk_gram N D          the two-layer ReLU NTK Gram of N unit rows in R^D (float64), computed
                                      in place, the faster of numpy's huge-page setting on and off (and the
                                      formula as written, "seconds_naive")
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
    C = np.zeros((n, n), dt)  # allocated once, as tangent's benchmark does
    s = timed(lambda: np.matmul(A, B, out=C))
    print(json.dumps({"bench": f"numpy_gemm_{sys.argv[2]}_{n}", "seconds": round(s, 4), "gflops": round(2 * n**3 / s / 1e9, 1)}))
elif what == "ntk_gram":
    n, d = int(sys.argv[2]), int(sys.argv[3])
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)

    def gram_naive():
        """The formula as written (the peer of the issue that asked for this benchmark): ~8 n² temporaries."""
        nr = np.linalg.norm(X, axis=1)
        G = X @ X.T
        r = np.outer(nr, nr)
        c = np.clip(G / r, -1.0, 1.0)
        phi = np.arccos(c)
        return r / (2 * np.pi * d) * (np.sqrt(1 - c * c) + 2 * (np.pi - phi) * c)

    def gram():
        """The same in place: two n² arrays, the result and one temporary."""
        nr = np.linalg.norm(X, axis=1)
        G = X @ X.T
        G /= nr[:, None]
        G /= nr[None, :]
        np.clip(G, -1.0, 1.0, out=G)  # c
        T = np.arccos(G)
        np.subtract(np.pi, T, out=T)
        T *= G
        T *= 2  # 2 (π − φ) c
        np.multiply(G, G, out=G)
        np.subtract(1.0, G, out=G)
        np.sqrt(G, out=G)
        G += T
        G *= nr[:, None]
        G *= nr[None, :]
        G /= 2 * np.pi * d
        return G

    assert np.allclose(gram(), gram_naive(), rtol=1e-12, atol=1e-14)
    # Fresh n² arrays fault in per call; where the VM does that slowly for huge pages (measured
    # here: the naive code 10.6 s with numpy's default madvise vs 3.7 s without) the peer gets
    # the better of the two settings.
    s_naive = timed(gram_naive)
    s_huge = timed(gram)
    try:
        from numpy._core.multiarray import _set_madvise_hugepage  # numpy ≥ 2
    except ImportError:
        from numpy.core.multiarray import _set_madvise_hugepage
    _set_madvise_hugepage(False)
    s_small = timed(gram)
    print(json.dumps({"bench": f"numpy_ntk_gram_{n}_d{d}", "seconds": round(min(s_huge, s_small), 4),
                      "seconds_huge_pages": round(s_huge, 4), "seconds_small_pages": round(s_small, 4),
                      "seconds_naive": round(s_naive, 4)}))
else:
    sys.exit(f"unknown peer benchmark {what}")
