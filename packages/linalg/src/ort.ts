/**
 * onnxruntime-node as a BLAS: GEMM runs through a one-node ONNX graph (MLAS kernels), built
 * here as protobuf bytes by a tiny encoder. We call the addon's synchronous session directly
 * (the public InferenceSession API is async only because it defers to setImmediate), so the
 * linalg API stays synchronous. Cholesky is blocked, with its O(n³) parts as ORT GEMMs; there
 * is no eigensolver (hasEigh() is false).
 */
import { createRequire } from 'node:module';
import type { FloatArray } from './matrix.ts';
import { defaultThreads, registerBackend, type Backend } from './backend.ts';
import { potrfLowerRef, trsmLeftRef } from './reference.ts';

// --- minimal protobuf writer -------------------------------------------------------------
class Pb {
  private bytes: number[] = [];
  varint(v: number): this {
    while (v > 0x7f) {
      this.bytes.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.bytes.push(v);
    return this;
  }
  int(field: number, v: number): this {
    return this.varint(field << 3).varint(v);
  }
  float(field: number, v: number): this {
    const b = new Uint8Array(new Float32Array([v]).buffer);
    this.varint((field << 3) | 5);
    this.bytes.push(...b);
    return this;
  }
  bytesField(field: number, data: Uint8Array): this {
    this.varint((field << 3) | 2).varint(data.length);
    for (const x of data) this.bytes.push(x);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytesField(field, new TextEncoder().encode(s));
  }
  msg(field: number, m: Pb): this {
    return this.bytesField(field, m.done());
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

const ONNX_FLOAT = 1;
const ONNX_DOUBLE = 11;

/** ValueInfoProto for a rank-2 tensor with symbolic dims. */
function valueInfo(name: string, elem: number, dims: [string, string]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, new Pb().str(2, d));
  const tensor = new Pb().int(1, elem).msg(2, shape);
  return new Pb().str(1, name).msg(2, new Pb().msg(1, tensor));
}

/** ModelProto: Y = op(A)·op(B) via a single Gemm node (shapes symbolic, so one session per variant). */
export function gemmModel(f64: boolean, ta: boolean, tb: boolean): Uint8Array {
  const elem = f64 ? ONNX_DOUBLE : ONNX_FLOAT;
  const attr = (name: string, v: number) => new Pb().str(1, name).int(3, v).int(20, 2); // type INT
  const node = new Pb()
    .str(1, 'A')
    .str(1, 'B')
    .str(2, 'Y')
    .str(3, 'gemm')
    .str(4, 'Gemm')
    .msg(5, attr('transA', ta ? 1 : 0))
    .msg(5, attr('transB', tb ? 1 : 0));
  const graph = new Pb()
    .msg(1, node)
    .str(2, 'linalg_gemm')
    .msg(11, valueInfo('A', elem, ta ? ['K', 'M'] : ['M', 'K']))
    .msg(11, valueInfo('B', elem, tb ? ['N', 'K'] : ['K', 'N']))
    .msg(12, valueInfo('Y', elem, ['M', 'N']));
  return new Pb()
    .int(1, 8) // ir_version
    .str(2, 'tangent-linalg')
    .msg(8, new Pb().str(1, '').int(2, 13)) // opset_import: default domain, opset 13
    .msg(7, graph)
    .done();
}

interface OrtSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, unknown>, fetches: Record<string, unknown>, options: object): Record<string, { data: FloatArray }>;
}

function loadOrt(): Backend {
  const require = createRequire(import.meta.url);
  const ort = require('onnxruntime-node') as { Tensor: new (type: string, data: FloatArray, dims: number[]) => unknown };
  const { binding, initOrt } = require('onnxruntime-node/dist/binding.js') as {
    binding: { InferenceSession: new () => OrtSession };
    initOrt: () => void;
  };
  initOrt();
  let threads = defaultThreads();
  const sessions = new Map<string, OrtSession>();
  const session = (f64: boolean, ta: boolean, tb: boolean): OrtSession => {
    const key = `${f64 ? 'd' : 's'}${+ta}${+tb}/${threads}`;
    let s = sessions.get(key);
    if (!s) {
      const bytes = gemmModel(f64, ta, tb);
      s = new binding.InferenceSession();
      s.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
      });
      sessions.set(key, s);
    }
    return s;
  };

  // onnxruntime's binding refuses arrays on shared memory (a parallel or WebAssembly-backed kernel): a copy.
  const unshared = (x: FloatArray): FloatArray => (x.buffer instanceof SharedArrayBuffer ? x.slice() : x);

  /** Y = op(A)·op(B) as a fresh array. */
  const product = (ta: boolean, tb: boolean, m: number, n: number, k: number, a: FloatArray, b: FloatArray): FloatArray => {
    const f64 = a instanceof Float64Array;
    const type = f64 ? 'float64' : 'float32';
    const s = session(f64, ta, tb);
    const A = new ort.Tensor(type, unshared(a), ta ? [k, m] : [m, k]);
    const B = new ort.Tensor(type, unshared(b), tb ? [n, k] : [k, n]);
    return s.run({ A, B }, { Y: null }, {}).Y.data;
  };

  const gemm: Backend['gemm'] = (ta, tb, m, n, k, alpha, a, b, beta, c) => {
    if (m === 0 || n === 0) return;
    const y = product(ta, tb, m, n, k, a, b);
    // alpha/beta applied here (O(mn)) so one cached session serves every scaling.
    if (beta === 0) {
      if (alpha === 1) c.set(y);
      else for (let i = 0; i < m * n; i++) c[i] = alpha * y[i];
    } else for (let i = 0; i < m * n; i++) c[i] = alpha * y[i] + beta * c[i];
  };

  const NB = 256;

  /** Rows [r0, r1) × columns [c0, c1) of an n-column matrix, copied contiguous. */
  const block = (a: FloatArray, n: number, r0: number, r1: number, c0: number, c1: number): FloatArray => {
    const w = c1 - c0;
    const out = new (a.constructor as new (len: number) => FloatArray)((r1 - r0) * w);
    for (let i = r0; i < r1; i++) out.set(a.subarray(i * n + c0, i * n + c1), (i - r0) * w);
    return out;
  };
  const putBlock = (a: FloatArray, n: number, r0: number, c0: number, rows: number, w: number, src: FloatArray) => {
    for (let i = 0; i < rows; i++) a.set(src.subarray(i * w, (i + 1) * w), (r0 + i) * n + c0);
  };

  const potrfLower: Backend['potrfLower'] = (n, a) => {
    if (n <= NB) return potrfLowerRef(n, a);
    // Right-looking blocked Cholesky: factor the diagonal block (TS), solve the panel
    // against it with one GEMM by its explicit inverse (well-conditioned: L11 is a Cholesky
    // factor of a principal block), then update the lower trailing matrix by GEMMs in row strips.
    for (let k = 0; k < n; k += NB) {
      const kb = Math.min(NB, n - k);
      const d = block(a, n, k, k + kb, k, k + kb);
      const info = potrfLowerRef(kb, d);
      if (info > 0) return k + info;
      for (let i = 0; i < kb; i++) d.fill(0, i * kb + i + 1, (i + 1) * kb);
      putBlock(a, n, k, k, kb, kb, d);
      const rest = n - k - kb;
      if (rest === 0) break;
      // inv(L11) by solving L11·X = I.
      const inv = new (a.constructor as new (len: number) => FloatArray)(kb * kb);
      for (let i = 0; i < kb; i++) inv[i * kb + i] = 1;
      trsmLeftRef(true, false, kb, kb, d, inv);
      const a21 = block(a, n, k + kb, n, k, k + kb);
      const l21 = product(false, true, rest, kb, kb, a21, inv); // A21·L11⁻ᵀ
      putBlock(a, n, k + kb, k, rest, kb, l21);
      // A22 −= L21·L21ᵀ, lower part only: strip [r0, r1) needs columns [0, r1) of the trailing matrix.
      for (let r0 = 0; r0 < rest; r0 += NB) {
        const r1 = Math.min(r0 + NB, rest);
        const upd = product(false, true, r1 - r0, r1, kb, l21.subarray(r0 * kb, r1 * kb), l21.subarray(0, r1 * kb));
        for (let i = r0; i < r1; i++) {
          const row = (k + kb + i) * n + k + kb;
          const off = (i - r0) * r1;
          for (let j = 0; j <= i; j++) a[row + j] -= upd[off + j];
        }
      }
    }
    return 0;
  };

  const trsmLeft: Backend['trsmLeft'] = (lower, trans, n, m, t, b) => {
    if (n <= NB || m === 0) return trsmLeftRef(lower, trans, n, m, t, b);
    // Blocked substitution: diagonal-block solves in TS, off-diagonal updates as GEMMs.
    // Work in terms of op(T): lower-triangular when lower XOR trans (then go forwards).
    const forward = lower !== trans;
    const nblocks = Math.ceil(n / NB);
    for (let s = 0; s < nblocks; s++) {
      const bi = forward ? s : nblocks - 1 - s;
      const r0 = bi * NB;
      const r1 = Math.min(r0 + NB, n);
      // op(T)[r0:r1, r0:r1] as a contiguous block of T (transposed by the ref solver).
      const d = block(t, n, r0, r1, r0, r1);
      const bRows = b.subarray(r0 * m, r1 * m);
      trsmLeftRef(lower, trans, r1 - r0, m, d, bRows);
      // Eliminate the solved rows from the rows still to come.
      const [u0, u1] = forward ? [r1, n] : [0, r0];
      if (u1 <= u0) continue;
      // op(T)[u0:u1, r0:r1] = trans ? T[r0:r1, u0:u1]ᵀ : T[u0:u1, r0:r1].
      const off = trans ? block(t, n, r0, r1, u0, u1) : block(t, n, u0, u1, r0, r1);
      const upd = product(trans, false, u1 - u0, m, r1 - r0, off, bRows);
      const tgt = b.subarray(u0 * m, u1 * m);
      for (let i = 0; i < tgt.length; i++) tgt[i] -= upd[i];
    }
  };

  const be: Backend = {
    name: 'ort',
    library: `onnxruntime-node ${require('onnxruntime-node/package.json').version} (MLAS)`,
    get threads() {
      return threads;
    },
    gemm,
    syrkLower(trans, n, k, alpha, a, c) {
      // A full GEMM (twice the SYRK flops) is still far faster than the TS loop.
      gemm(trans, !trans, n, n, k, alpha, a, a, 0, c);
    },
    potrfLower,
    trsmLeft,
    setThreads(n) {
      threads = n;
    },
  };
  return be;
}

registerBackend('ort', loadOrt);
