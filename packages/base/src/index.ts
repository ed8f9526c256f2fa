export * from './errors.ts';
export * from './format.ts';
export * from './progress.ts';
export * from './wasm.ts';
