export * from './matrix.ts';
export * from './random.ts';
export { adviseHugePages, hugeFloat32, hugeFloat64 } from './huge-pages.ts';
// Backends register themselves on import; the choice is made lazily on first use.
import './native.ts';
import './ort.ts';
export { availableBackends, backendInfo, hasEigh, setBackend, setThreads, type BackendName } from './backend.ts';
export * from './ops.ts';
export * from './reduce.ts';
export * from './lanczos.ts';
export { syevRef as eighReferenceInPlace } from './reference.ts';
