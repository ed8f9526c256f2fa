/**
 * Loading the packages' WebAssembly SIMD passes (each a `<name>.wat` compiled to `<name>-wasm.ts`
 * by `npm run build:wasm`). Every pass has a JavaScript fallback that gives the same numbers:
 * an engine without WebAssembly SIMD, a buffer beyond wasm32's 4 GiB, or TANGENT_SIMD=0 runs it.
 */

/** The part of the WebAssembly JS API the packages use (the project's TypeScript libs do not declare it). */
export interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (limits: { initial: number; maximum: number; shared?: boolean }) => { buffer: ArrayBuffer };
  Instance: new (module: object, imports: object) => { exports: object };
}

export const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Bytes in a WebAssembly memory page. */
export const WASM_PAGE = 65536;
/** wasm32 addresses 2^32 bytes (65 536 pages of 64 KiB). */
export const WASM_MAX_PAGES = 65536;

const compiled = new Map<string, object | null>();

/** The module of a base64 binary, compiled once; null where the JavaScript fallback must run. */
export function simdModule(base64: string): object | null {
  if (!compiled.has(base64))
    try {
      compiled.set(base64, !wasmApi || process.env.TANGENT_SIMD === '0' ? null : new wasmApi.Module(Buffer.from(base64, 'base64')));
    } catch {
      compiled.set(base64, null); // an engine without WebAssembly SIMD (or shared memories)
    }
  return compiled.get(base64)!;
}
