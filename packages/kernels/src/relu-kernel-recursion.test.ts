import { describe, expect, it } from 'vitest';
import { rng } from '@tangent/linalg';
import { ntkRelu2, nngpRelu2 } from './ntk-relu2.ts';
import { reluNetKernel } from './relu-kernel-recursion.ts';
import { loglogSlope } from './statistics.ts';

/** Random points with varied norms, so the |x||z| factor is exercised, not just angles. */
function points(n: number, d: number, seed: number): Float64Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const x = r.fillNormal(new Float64Array(d));
    const s = 0.5 + 1.5 * r.uniform();
    return x.map((v) => (v * s) / Math.sqrt(d));
  });
}
function dotp(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function analytic(X: Float64Array[], d: number, depth: number, sigmaW: number, sigmaB: number) {
  const n = X.length;
  const ntk = new Float64Array(n * n),
    nngp = new Float64Array(n * n);
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++) {
      const s = reluNetKernel(dotp(X[a], X[a]), dotp(X[b], X[b]), dotp(X[a], X[b]), d, { depth, sigmaW, sigmaB });
      ntk[a * n + b] = s.ntk;
      nngp[a * n + b] = s.nngp;
    }
  return { ntk, nngp };
}

/**
 * Empirical NTK of one finite two-layer network, J Jᵀ with J the explicit per-parameter
 * gradients (hand-derived, checked by finite differences below), accumulated unit by unit.
 */
function empiricalNtk2(X: Float64Array[], d: number, m: number, seed: number): Float64Array {
  const r = rng(seed);
  const n = X.length;
  const w = new Float64Array(d);
  const g = Array.from({ length: n }, () => new Float64Array(d + 1));
  const K = new Float64Array(n * n);
  const sd = Math.sqrt(d),
    sm = Math.sqrt(m);
  for (let j = 0; j < m; j++) {
    r.fillNormal(w);
    const w2 = r.normal();
    for (let a = 0; a < n; a++) {
      const pre = dotp(w, X[a]) / sd;
      const act = pre > 0 ? 1 : 0;
      for (let k = 0; k < d; k++) g[a][k] = ((w2 / sm) * act * X[a][k]) / sd; // ∂f/∂W1[j,k]
      g[a][d] = Math.max(pre, 0) / sm; // ∂f/∂W2[j]
    }
    for (let a = 0; a < n; a++) for (let b = a; b < n; b++) K[a * n + b] += dotp(g[a], g[b]);
  }
  for (let a = 0; a < n; a++) for (let b = 0; b < a; b++) K[a * n + b] = K[b * n + a];
  return K;
}

/** Finite deep ReLU net (NTK parameterisation with σ_w, σ_b): f, per-parameter gradients, last hidden layer. */
function deepNet(d: number, width: number, depth: number, sigmaW: number, sigmaB: number, seed: number) {
  const r = rng(seed);
  const dims = [d, ...Array(depth - 1).fill(width), 1];
  const W = dims.slice(1).map((out, l) => r.fillNormal(new Float64Array(out * dims[l])));
  const B = dims.slice(1).map((out) => r.fillNormal(new Float64Array(out)));
  /** Returns the flat gradient of f w.r.t. every weight and bias, and the last hidden activations. */
  function grad(x: Float64Array): { g: Float64Array; hLast: Float64Array; f: number } {
    const hs: Float64Array[] = [x];
    const zs: Float64Array[] = [];
    for (let l = 0; l < depth; l++) {
      const nin = dims[l],
        nout = dims[l + 1];
      const z = new Float64Array(nout);
      const Wl = W[l],
        hl = hs[l];
      for (let i = 0; i < nout; i++) {
        let s = 0;
        for (let k = 0; k < nin; k++) s += Wl[i * nin + k] * hl[k];
        z[i] = (sigmaW * s) / Math.sqrt(nin) + sigmaB * B[l][i];
      }
      zs.push(z);
      if (l < depth - 1) hs.push(z.map((v) => Math.max(v, 0)));
    }
    const parts: Float64Array[] = [];
    let delta = new Float64Array([1]); // ∂f/∂z^L
    for (let l = depth - 1; l >= 0; l--) {
      const nin = dims[l],
        nout = dims[l + 1];
      const gw = new Float64Array(nout * nin);
      const Wl = W[l],
        hl = hs[l],
        c = sigmaW / Math.sqrt(nin);
      for (let i = 0; i < nout; i++) {
        const di = delta[i] * c;
        for (let k = 0; k < nin; k++) gw[i * nin + k] = di * hl[k];
      }
      const gb = delta.map((v) => v * sigmaB);
      parts.push(gw, gb);
      if (l > 0) {
        const prev = new Float64Array(nin);
        for (let i = 0; i < nout; i++) {
          const di = delta[i];
          for (let k = 0; k < nin; k++) prev[k] += di * Wl[i * nin + k];
        }
        const zp = zs[l - 1];
        for (let k = 0; k < nin; k++) prev[k] = zp[k] > 0 ? prev[k] * c : 0;
        delta = prev;
      }
    }
    const total = parts.reduce((s, p) => s + p.length, 0);
    const g = new Float64Array(total);
    let o = 0;
    for (const p of parts) (g.set(p, o), (o += p.length));
    return { g, hLast: hs[depth - 1], f: zs[depth - 1][0] };
  }
  return { grad, W, B };
}

const relFro = (A: Float64Array, B: Float64Array) => {
  let num = 0,
    den = 0;
  for (let i = 0; i < A.length; i++) ((num += (A[i] - B[i]) ** 2), (den += B[i] ** 2));
  return Math.sqrt(num / den);
};

describe('ntkRelu2 (closed form, two layers)', () => {
  const d = 16;
  const X = points(30, d, 11);

  it('equals the layer recursion at depth 2 and matches hand values', () => {
    const { ntk, nngp } = analytic(X, d, 2, 1, 0);
    for (let a = 0; a < X.length; a++)
      for (let b = 0; b < X.length; b++) {
        const nx = Math.sqrt(dotp(X[a], X[a])),
          nz = Math.sqrt(dotp(X[b], X[b])),
          xz = dotp(X[a], X[b]);
        // At c = 1, sqrt(1 − c²) turns an ulp in c into ~1e-8 in Θ, so the diagonal gets a looser bound.
        const tol = a === b ? 1e-7 : 1e-12;
        expect(Math.abs(ntkRelu2(nx, nz, xz, d) - ntk[a * X.length + b])).toBeLessThan(tol);
        expect(Math.abs(nngpRelu2(nx, nz, xz, d) - nngp[a * X.length + b])).toBeLessThan(tol);
      }
    // φ = 0: Θ = |x|²/(2πd)·2π = |x|²/d; φ = π/2: Θ = |x||z|/(2πd); φ = π: Θ = 0.
    expect(ntkRelu2(2, 2, 4, 4)).toBeCloseTo(1, 15);
    expect(ntkRelu2(1, 3, 0, 2)).toBeCloseTo(3 / (4 * Math.PI), 15);
    expect(ntkRelu2(1, 1, -1, 1)).toBe(0);
  });

  it('hand-derived per-parameter gradients agree with central finite differences', () => {
    const net = deepNet(5, 7, 2, 1, 0, 3);
    const x = points(1, 5, 4)[0];
    const { g } = net.grad(x);
    // Parameter order from backprop: [W2, b2, W1, b1]; perturb an entry of W1 and of W2.
    const h = 1e-6;
    const check = (arr: Float64Array, idx: number, flat: number) => {
      const keep = arr[idx];
      arr[idx] = keep + h;
      const fp = net.grad(x).f;
      arr[idx] = keep - h;
      const fm = net.grad(x).f;
      arr[idx] = keep;
      expect(g[flat]).toBeCloseTo((fp - fm) / (2 * h), 6);
    };
    check(net.W[1], 3, 3);
    check(net.W[0], 12, 7 + 1 + 12);
  });

  it('matches the empirical NTK of a width-16384 network to a few percent (relative Frobenius)', () => {
    const { ntk } = analytic(X, d, 2, 1, 0);
    const err = relFro(empiricalNtk2(X, d, 16384, 1), ntk);
    expect(err).toBeLessThan(0.03);
    expect(err).toBeGreaterThan(1e-4); // a finite network is not the limit; a zero would mean a shared path
  });

  it('the empirical error shrinks like m^-1/2', () => {
    const { ntk } = analytic(X.slice(0, 16), d, 2, 1, 0);
    const widths = [256, 1024, 4096];
    const seeds = [1, 2, 3, 4, 5, 6];
    const errs = widths.map(
      (m) => seeds.reduce((s, seed) => s + relFro(empiricalNtk2(X.slice(0, 16), d, m, 100 * m + seed), ntk), 0) / seeds.length,
    );
    const slope = loglogSlope(widths, errs)!;
    expect(slope).toBeGreaterThan(-0.7);
    expect(slope).toBeLessThan(-0.35);
  });
});

describe('reluNetKernel (depth and bias recursion)', () => {
  it('depth 3 with bias matches a finite network: NTK from explicit gradients, NNGP from the last hidden layer', () => {
    const d = 6,
      width = 1024,
      depth = 3,
      sigmaW = 1.3,
      sigmaB = 0.4;
    const X = points(8, d, 21);
    const n = X.length;
    const { ntk, nngp } = analytic(X, d, depth, sigmaW, sigmaB);
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8]; // one network at width 1024 is off by 4–10 %; 8 average to ~2 %
    const avgNtk = new Float64Array(n * n),
      avgNngp = new Float64Array(n * n);
    for (const seed of seeds) {
      const net = deepNet(d, width, depth, sigmaW, sigmaB, seed);
      const out = X.map((x) => net.grad(x));
      for (let a = 0; a < n; a++)
        for (let b = a; b < n; b++) {
          const t = dotp(out[a].g, out[b].g) / seeds.length;
          // Σ^L(x, z) = σ_w² h·h / n + σ_b² given the hidden layer (exact conditional covariance of f).
          const s = ((sigmaW ** 2 * dotp(out[a].hLast, out[b].hLast)) / width + sigmaB ** 2) / seeds.length;
          ((avgNtk[a * n + b] += t), (avgNngp[a * n + b] += s));
          if (b !== a) ((avgNtk[b * n + a] += t), (avgNngp[b * n + a] += s));
        }
    }
    expect(relFro(avgNtk, ntk)).toBeLessThan(0.045);
    expect(relFro(avgNngp, nngp)).toBeLessThan(0.045);
    // The bias must matter: without it the recursion is far from this network.
    expect(relFro(avgNtk, analytic(X, d, depth, sigmaW, 0).ntk)).toBeGreaterThan(0.1);
  });

  it('rejects a depth below 2', () => {
    expect(() => reluNetKernel(1, 1, 1, 1, { depth: 1 })).toThrow(/depth/);
  });
});
