/**
 * Native BLAS/LAPACK through koffi (no compile step). CBLAS is called in row-major mode; the
 * Fortran LAPACK routines are column-major, which we exploit rather than transpose: a
 * row-major symmetric matrix is its own column-major image, and a column-major upper factor
 * U (A = UᵀU) read row-major is the lower factor L = Uᵀ.
 */
import { existsSync, readFileSync } from 'node:fs';
import koffi from 'koffi';
import { defaultThreads, registerBackend, type Backend } from './backend.ts';
import { transposeSquareInPlace } from './reference.ts';

const RowMajor = 101,
  NoTrans = 111,
  Trans = 112,
  Upper = 121,
  Lower = 122,
  Left = 141,
  NonUnit = 131;

/** Candidate libraries, most preferred first: [blas, lapack?] (lapack defaults to the blas lib). */
function candidates(): string[][] {
  const env = process.env.TANGENT_BLAS_LIB;
  // "blas.so,lapack.so" for split reference-style installs.
  if (env) return [env.split(',').map((s) => s.trim())];
  const deb = '/usr/lib/x86_64-linux-gnu';
  const arm = '/usr/lib/aarch64-linux-gnu';
  const list: string[][] = [];
  for (const dir of [deb, arm]) {
    list.push([`${dir}/openblas-pthread/libopenblas.so.0`], [`${dir}/openblas-openmp/libopenblas.so.0`], [`${dir}/libopenblas.so.0`]);
  }
  list.push(
    ['libopenblas.so.0'],
    ['libopenblas.so'],
    ['/opt/homebrew/opt/openblas/lib/libopenblas.dylib'],
    ['/usr/local/opt/openblas/lib/libopenblas.dylib'],
    ['libmkl_rt.so.2'],
    ['libmkl_rt.so'],
    ['/opt/intel/oneapi/mkl/latest/lib/libmkl_rt.so.2'],
    ['/System/Library/Frameworks/Accelerate.framework/Accelerate'],
    [`${deb}/libblas.so.3`, `${deb}/liblapack.so.3`],
    ['libblas.so.3', 'liblapack.so.3'],
  );
  return list;
}

function open(path: string): koffi.IKoffiLib | null {
  // Bare names go to the dynamic loader's search path; absolute ones must exist.
  if (path.startsWith('/') && !existsSync(path)) return null;
  try {
    return koffi.load(path);
  } catch {
    return null;
  }
}

function tryFunc(lib: koffi.IKoffiLib, sig: string): koffi.KoffiFunction | null {
  try {
    return lib.func(sig);
  } catch {
    return null;
  }
}

/**
 * OpenBLAS picks its kernels by CPU model at load time, and older releases (Debian's 0.3.21)
 * do not know recent Intel models (e.g. Emerald Rapids, model 207) and fall back to the
 * generic Prescott kernels: ~6x slower GEMM; AMD Zen 4 gets the AVX2 Zen kernels. When the user
 * has not chosen, name the kernel family from the CPU's feature flags before the library loads
 * (Intel: SkylakeX with AVX-512, else Haswell with AVX2+FMA; AMD: SkylakeX with AVX-512 only).
 */
function chooseOpenblasCore(): string | null {
  if (process.env.OPENBLAS_CORETYPE || process.platform !== 'linux' || process.arch !== 'x64') return null;
  let info: string;
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
  const intel = /vendor_id\s*:\s*GenuineIntel/.test(info),
    amd = /vendor_id\s*:\s*AuthenticAMD/.test(info);
  if (!intel && !amd) return null;
  const flags = new Set((/^flags\s*:(.*)$/m.exec(info)?.[1] ?? '').trim().split(/\s+/));
  const avx512 = ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => flags.has(f));
  // AMD: releases before 0.3.22 take Zen 4 (AVX-512) for Zen and run AVX2 kernels; older Zens are detected right.
  const core = avx512 ? 'SkylakeX' : intel && flags.has('avx2') && flags.has('fma') ? 'Haswell' : null;
  if (core) process.env.OPENBLAS_CORETYPE = core;
  return core;
}

function loadNative(): Backend {
  chooseOpenblasCore();
  const tried: string[] = [];
  for (const c of candidates()) {
    const blas = open(c[0]);
    if (!blas) {
      tried.push(c[0]);
      continue;
    }
    const lapack = c[1] ? open(c[1]) : blas;
    if (!lapack) {
      tried.push(c[1]);
      continue;
    }
    try {
      return bind(blas, lapack, c.join(' + '));
    } catch (e) {
      tried.push(`${c.join('+')} (${(e as Error).message})`);
    }
  }
  throw new Error(`no BLAS/LAPACK library found (tried ${tried.length} candidates; set TANGENT_BLAS_LIB=/path/to/libopenblas.so)`);
}

function bind(blas: koffi.IKoffiLib, lapack: koffi.IKoffiLib, library: string): Backend {
  const f = (lib: koffi.IKoffiLib, sig: string) => lib.func(sig);
  const dgemm = f(blas, 'void cblas_dgemm(int, int, int, int, int, int, double, double *, int, double *, int, double, double *, int)');
  const sgemm = f(blas, 'void cblas_sgemm(int, int, int, int, int, int, float, float *, int, float *, int, float, float *, int)');
  const dsyrk = f(blas, 'void cblas_dsyrk(int, int, int, int, int, double, double *, int, double, double *, int)');
  const ssyrk = f(blas, 'void cblas_ssyrk(int, int, int, int, int, float, float *, int, float, float *, int)');
  const dsymv = f(blas, 'void cblas_dsymv(int, int, int, double, double *, int, double *, int, double, double *, int)');
  const ssymv = f(blas, 'void cblas_ssymv(int, int, int, float, float *, int, float *, int, float, float *, int)');
  const dtrsm = f(blas, 'void cblas_dtrsm(int, int, int, int, int, int, int, double, double *, int, double *, int)');
  const strsm = f(blas, 'void cblas_strsm(int, int, int, int, int, int, int, float, float *, int, float *, int)');
  // Fortran: every argument by reference, plus gfortran's hidden trailing lengths of the
  // CHARACTER arguments (harmless extra arguments for LAPACKs that do not read them).
  const dpotrf = f(lapack, 'void dpotrf_(const char *, int *, double *, int *, int *, size_t)');
  const spotrf = f(lapack, 'void spotrf_(const char *, int *, float *, int *, int *, size_t)');
  const dsyevd = f(
    lapack,
    'void dsyevd_(const char *, const char *, int *, double *, int *, double *, double *, int *, int *, int *, int *, size_t, size_t)',
  );

  let threads = 1;
  let setThreads: ((n: number) => void) | undefined;
  let name = 'native BLAS';
  const obSet = tryFunc(blas, 'void openblas_set_num_threads(int)');
  const obGet = tryFunc(blas, 'int openblas_get_num_threads()');
  const mklSet = tryFunc(blas, 'void MKL_Set_Num_Threads(int)');
  const mklGet = tryFunc(blas, 'int MKL_Get_Max_Threads()');
  if (obSet && obGet) {
    const core = tryFunc(blas, 'const char *openblas_get_corename()');
    const config = tryFunc(blas, 'const char *openblas_get_config()');
    const version = config ? (/OpenBLAS [0-9.]+/.exec(config() as string)?.[0] ?? 'OpenBLAS') : 'OpenBLAS';
    name = core ? `${version} ${core()}` : version;
    setThreads = (n) => {
      obSet(n);
      threads = obGet() as number;
    };
  } else if (mklSet && mklGet) {
    name = 'MKL';
    setThreads = (n) => {
      mklSet(n);
      threads = mklGet() as number;
    };
  } else if (library.includes('Accelerate')) name = 'Accelerate';
  if (setThreads) {
    // An explicit OPENBLAS_NUM_THREADS / MKL_NUM_THREADS from the user wins over our default.
    const userSet = name === 'OpenBLAS' ? process.env.OPENBLAS_NUM_THREADS : process.env.MKL_NUM_THREADS;
    if (userSet && !process.env.TANGENT_THREADS) threads = (name === 'OpenBLAS' ? obGet!() : mklGet!()) as number;
    else setThreads(defaultThreads());
  }

  // Scalars passed by reference; reused across calls (everything here is synchronous).
  const iN = new Int32Array(1),
    iLda = new Int32Array(1),
    iInfo = new Int32Array(1);
  const iLwork = new Int32Array(1),
    iLiwork = new Int32Array(1);

  const be: Backend = {
    name: 'openblas',
    library: `${name}: ${library}`,
    get threads() {
      return threads;
    },
    gemm(ta, tb, m, n, k, alpha, a, b, beta, c) {
      if (m === 0 || n === 0) return;
      const lda = ta ? m : k;
      const ldb = tb ? k : n;
      const g = a instanceof Float64Array ? dgemm : sgemm;
      g(
        RowMajor,
        ta ? Trans : NoTrans,
        tb ? Trans : NoTrans,
        m,
        n,
        k,
        alpha,
        a,
        Math.max(1, lda),
        b,
        Math.max(1, ldb),
        beta,
        c,
        Math.max(1, n),
      );
    },
    syrkLower(trans, n, k, alpha, a, c) {
      if (n === 0) return;
      const g = a instanceof Float64Array ? dsyrk : ssyrk;
      g(RowMajor, Lower, trans ? Trans : NoTrans, n, k, alpha, a, Math.max(1, trans ? n : k), 0, c, Math.max(1, n));
    },
    symvLower(n, alpha, a, x, beta, y) {
      if (n === 0) return;
      (a instanceof Float64Array ? dsymv : ssymv)(RowMajor, Lower, n, alpha, a, n, x, 1, beta, y, 1);
    },
    potrfLower(n, a) {
      if (n === 0) return 0;
      iN[0] = n;
      iLda[0] = n;
      iInfo[0] = 0;
      (a instanceof Float64Array ? dpotrf : spotrf)('U', iN, a, iLda, iInfo, 1);
      if (iInfo[0] < 0) throw new Error(`potrf: illegal argument ${-iInfo[0]}`);
      return iInfo[0];
    },
    trsmLeft(lower, trans, n, m, t, b) {
      if (n === 0 || m === 0) return;
      const g = t instanceof Float64Array ? dtrsm : strsm;
      g(RowMajor, Left, lower ? Lower : Upper, trans ? Trans : NoTrans, NonUnit, n, m, 1, t, n, b, m);
    },
    syev(n, a, w) {
      if (n === 0) return 0;
      iN[0] = n;
      iLda[0] = n;
      // Workspace query (lwork = liwork = -1), then the real call.
      const wq = new Float64Array(1);
      const iq = new Int32Array(1);
      iLwork[0] = -1;
      iLiwork[0] = -1;
      dsyevd('V', 'U', iN, a, iLda, w, wq, iLwork, iq, iLiwork, iInfo, 1, 1);
      if (iInfo[0] !== 0) return iInfo[0];
      const lwork = Math.ceil(wq[0]);
      const liwork = iq[0];
      const work = new Float64Array(lwork);
      const iwork = new Int32Array(liwork);
      iLwork[0] = lwork;
      iLiwork[0] = liwork;
      iN[0] = n;
      iLda[0] = n;
      dsyevd('V', 'U', iN, a, iLda, w, work, iLwork, iwork, iLiwork, iInfo, 1, 1);
      // Column-major eigenvectors read row-major are Vᵀ: transpose in place, in tiles.
      transposeSquareInPlace(n, a);
      return iInfo[0];
    },
    setThreads,
  };
  return be;
}

registerBackend('openblas', loadNative);
