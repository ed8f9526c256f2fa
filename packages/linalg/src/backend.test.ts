import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blasLibrariesOnMachine } from './testing.ts';

const index = join(import.meta.dirname, 'index.ts');

/** Run a snippet in a fresh process (the backend choice is made once per process). */
function runWith(env: Record<string, string>, code: string) {
  const script = `const m = await import(${JSON.stringify(index)}); ${code}`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, TANGENT_QUIET: '', ...env },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

describe('backend selection from the environment', () => {
  it('TANGENT_BLAS=ort is honoured and announced once on stderr', () => {
    const r = runWith(
      { TANGENT_BLAS: 'ort', TANGENT_THREADS: '1' },
      `m.gemm(m.identity(2), m.identity(2)); m.gemm(m.identity(2), m.identity(2)); console.log(JSON.stringify([m.backendInfo(), m.hasEigh()]));`,
    );
    expect(r.status).toBe(0);
    const [info, eig] = JSON.parse(r.stdout);
    expect(info.name).toBe('ort');
    expect(info.threads).toBe(1);
    expect(eig).toBe(false);
    expect(r.stderr.match(/linalg: backend ort/g)).toHaveLength(1);
  });

  it('auto picks native BLAS when the machine has it, else onnxruntime, with TANGENT_THREADS threads', () => {
    const r = runWith({ TANGENT_BLAS: 'auto', TANGENT_THREADS: '1', TANGENT_QUIET: '1' }, `console.log(JSON.stringify(m.backendInfo()));`);
    const info = JSON.parse(r.stdout);
    if (blasLibrariesOnMachine().some((p) => /\/libopenblas\.so/.test(p))) {
      expect(info.name).toBe('openblas');
      expect(info.library).toMatch(/OpenBLAS/);
    } else {
      expect(info.name).toBe('ort'); // the README's promise: everything runs without OpenBLAS, on onnxruntime's MLAS
    }
    expect(info.threads).toBe(1);
    expect(r.stderr).toBe('');
  });

  it('an unknown backend or a missing library is one clear error', () => {
    // One process: the choice is re-attempted after a failure, and nothing else loaded openblas yet.
    const code = `for (const [b, lib] of [['cuda', ''], ['openblas', '/nonexistent/libfoo.so']]) {
      process.env.TANGENT_BLAS = b; process.env.TANGENT_BLAS_LIB = lib;
      try { m.backendInfo(); } catch (e) { console.log(e.message); } }`;
    const [unknown, missing] = runWith({}, code).stdout.split('\n');
    expect(unknown).toBe('TANGENT_BLAS=cuda: unknown backend; use openblas, ort, ts or auto');
    expect(missing).toMatch(/^TANGENT_BLAS=openblas: backend unavailable \(no BLAS\/LAPACK library found .*TANGENT_BLAS_LIB/);
  });
});
