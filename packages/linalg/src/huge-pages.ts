/**
 * Large matrices on transparent huge pages. Where the kernel's THP mode is `madvise` (Debian,
 * Ubuntu), only memory that asked for it with madvise(MADV_HUGEPAGE) gets 2 MiB pages; numpy
 * asks for every large array, V8 never does. Without it a 4096² GEMM spends a measurable share
 * of its time in TLB misses while OpenBLAS packs its panels (measured: numpy's dgemm/sgemm
 * ~20 % ahead on the same OpenBLAS). `hugeFloat64(n)` / `hugeFloat32(n)` allocate like
 * `new Float64Array(n)` and advise the kernel BEFORE the first touch, so the pages fault in as
 * huge pages. Linux only, and only above 4 MiB; anywhere else (or if libc cannot be bound) the
 * plain typed array. TANGENT_HUGEPAGES=0 turns it off.
 *
 * Only for buffers a hot loop reuses (GEMM operands and work buffers kept across epochs): the
 * first touch of a huge page can cost far more than the TLB misses it saves. Measured in this
 * project's VMs (free memory handed back to the host, so a fresh 2 MiB page faults on the host
 * too): filling a fresh 297 MB Float64Array took 5.7 s on huge pages vs 0.35 s on 4 KiB pages,
 * and an mlp run at m = 16 spent 8.5 s in the kernel (sys) with huge n×n kernel buffers vs
 * 0.8 s without. A buffer written once or twice (a Gram matrix, a GEMM result) stays plain.
 */
import { platform } from 'node:process';
import koffi from 'koffi';

const MIN_BYTES = 4 << 20;
const PAGE = 4096;
const MADV_HUGEPAGE = 14;

type Advise = (bytes: Uint8Array) => boolean;
let advise: Advise | null | undefined;

function bind(): Advise | null {
  if (platform !== 'linux' || process.env.TANGENT_HUGEPAGES === '0') return null;
  try {
    const libc = koffi.load('libc.so.6');
    const madvise = libc.func('int madvise(uintptr_t addr, size_t length, int advice)');
    return (bytes) => {
      const start = Number(koffi.address(bytes));
      if (!Number.isSafeInteger(start)) return false;
      // madvise wants a page-aligned start; the head (< 4 KiB) keeps small pages.
      const a = Math.ceil(start / PAGE) * PAGE,
        len = Math.floor((start + bytes.byteLength - a) / PAGE) * PAGE;
      return len > 0 && madvise(a, len, MADV_HUGEPAGE) === 0;
    };
  } catch {
    return null;
  }
}

/** Ask for huge pages on a fresh (untouched) buffer; false when not applied. */
export function adviseHugePages(a: ArrayBufferView): boolean {
  if (a.byteLength < MIN_BYTES) return false;
  if (advise === undefined) advise = bind();
  if (!advise) return false;
  try {
    return advise(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  } catch {
    advise = null;
    return false;
  }
}

export function hugeFloat64(n: number): Float64Array {
  const a = new Float64Array(n);
  adviseHugePages(a);
  return a;
}

export function hugeFloat32(n: number): Float32Array {
  const a = new Float32Array(n);
  adviseHugePages(a);
  return a;
}
