import { fail } from '@tangent/base';
import { gemm, mat64, rowNorms, syrk, toMat64, type Mat64, type Matrix } from '@tangent/linalg';
import { ACTIVATIONS, type ActivationName } from './activation-registry.ts';
import { activationKernelRow, activationLayerVariances, type NetSpec } from './dual-activation.ts';
import { assertFitsInMemory, f64Bytes } from './memory-guard.ts';

/**
 * Θ and/or Σ of the depth-L network with any registered activation, for rows of X against rows of
 * Z (default X): the inner products from one BLAS call (SYRK for the symmetric Gram), then the
 * dual-activation recursion row by row (activationKernelRow; ReLU has its own unrolled
 * WebAssembly path in ntk-gram.ts, which dispatches here for the others). float64 throughout.
 */
export function activationGram(
  X: Matrix,
  Z: Matrix | undefined,
  spec: NetSpec & { activation: ActivationName; maxMemoryGb?: number | null },
  kinds: { ntk: boolean; nngp: boolean },
): { ntk?: Mat64; nngp?: Mat64 } {
  const act = ACTIVATIONS[spec.activation];
  if (!act) fail(`ntkGram: activation '${spec.activation}' unknown; use one of ${Object.keys(ACTIVATIONS).join(', ')}`);
  const A = toMat64(X),
    symmetric = Z === undefined || Z === X,
    B = symmetric ? A : toMat64(Z!);
  if (A.cols !== B.cols) fail(`ntkGram: X has ${A.cols} features but Z has ${B.cols}`);
  const outputs = +kinds.ntk + +kinds.nngp;
  assertFitsInMemory((outputs + 1) * f64Bytes(A.rows, B.rows), `the ${A.rows}×${B.rows} ${act.name} kernel`, spec.maxMemoryGb);
  const d = A.cols;
  const dots = symmetric ? syrk(A, { lowerOnly: true }) : gemm(A, B, { transB: true });
  const qA = activationLayerVariances(squaredNorms(A), d, spec, act);
  const qB = symmetric ? qA : activationLayerVariances(squaredNorms(B), d, spec, act);
  const map = (ntk: boolean): Mat64 => {
    const K = mat64(A.rows, B.rows, dots.data.slice());
    for (let i = 0; i < A.rows; i++) {
      const row = K.data.subarray(i * B.rows, (i + 1) * B.rows);
      activationKernelRow(
        row,
        0,
        symmetric ? i + 1 : B.rows,
        qA.map((q) => q[i]),
        qB,
        d,
        spec,
        act,
        ntk,
      );
    }
    if (symmetric) for (let i = 0; i < A.rows; i++) for (let j = 0; j < i; j++) K.data[j * B.rows + i] = K.data[i * B.rows + j];
    return K;
  };
  return { ...(kinds.ntk ? { ntk: map(true) } : {}), ...(kinds.nngp ? { nngp: map(false) } : {}) };
}

const squaredNorms = (A: Mat64): Float64Array => rowNorms(A).map((r) => r * r);
