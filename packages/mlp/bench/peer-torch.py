"""PyTorch CPU peers of the mlp benchmarks, same sizes and the same math, for tools/bench.ts to
run right after tangent's own timing (one JSON line, "seconds" = median).

  peer-torch.py mlp_epoch N D M      one full-batch GD epoch of f = W2 relu(W1 x/√d)/√m on the
                                     mean squared loss (autograd forward + backward + SGD step), float32
  peer-torch.py entk N D M DTYPE     the structured empirical NTK of N points:
                                     Θ = (X Xᵀ/d) ⊙ (D Dᵀ) + H Hᵀ/m, D = W2 ⊙ 1[u > 0]/√m, H = relu(u),
                                     u = X W1ᵀ/√d; DTYPE float64, or float32 (GEMMs) with a float64 result
Threads: PEER_THREADS (tools/bench.ts sets it to tangent's thread count).
"""
import json
import os
import sys
import time

import torch

torch.set_num_threads(int(os.environ.get("PEER_THREADS", os.cpu_count() or 1)))
torch.manual_seed(0)


def timed(f, repeats):
    f()  # warm-up
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2]


def unit_rows(n, d, dtype):
    X = torch.randn(n, d, dtype=dtype)
    return X / X.norm(dim=1, keepdim=True)


what = sys.argv[1]
if what == "mlp_epoch":
    N, D, M = map(int, sys.argv[2:5])
    X = unit_rows(N, D, torch.float32)
    y = torch.where(X[:, 0] > 0, 1.0, -1.0)
    W1 = torch.randn(M, D, requires_grad=True)
    W2 = torch.randn(1, M, requires_grad=True)
    opt = torch.optim.SGD([W1, W2], lr=1e-3)

    def epoch():
        opt.zero_grad(set_to_none=False)
        f = (torch.relu(X @ W1.T / D**0.5) @ W2.T / M**0.5).squeeze(1)
        loss = 0.5 * ((f - y) ** 2).mean()
        loss.backward()
        opt.step()

    s = timed(epoch, 5)
    print(json.dumps({"bench": f"torch_mlp_epoch_{N}_d{D}_m{M}", "seconds": round(s, 4), "dtype": "float32", "threads": torch.get_num_threads()}))
elif what == "entk":
    N, D, M = map(int, sys.argv[2:5])
    dt = torch.float64 if sys.argv[5] == "float64" else torch.float32
    X = unit_rows(N, D, torch.float64)
    W1 = torch.randn(M, D, dtype=torch.float64)
    W2 = torch.randn(M, dtype=torch.float64)

    def entk():
        Xd = X.to(dt)
        u = Xd @ W1.to(dt).T / D**0.5
        H = torch.relu(u)
        Dm = (u > 0).to(dt) * (W2.to(dt) / M**0.5)
        return (X @ X.T / D) * (Dm @ Dm.T).double() + (H @ H.T).double() / M

    s = timed(entk, 3)
    print(json.dumps({"bench": f"torch_entk_{N}_d{D}_m{M}_{sys.argv[5]}", "seconds": round(s, 4), "threads": torch.get_num_threads()}))
else:
    sys.exit(f"unknown peer benchmark {what}")
