export * from './errors.ts';
export * from './progress.ts';
export * from './wasm.ts';
