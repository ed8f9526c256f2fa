// Errors, logging and progress live in @tangent/base (the math packages use them too).
export * from '@tangent/base';
export * from './artifact.ts';
export * from './atomic.ts';
export * from './checksum.ts';
export * from './config.ts';
export * from './hash.ts';
export * from './paths.ts';
export * from './stage.ts';
export * from './ipc-framing.ts';
export * from './json-file.ts';
export * from './read-integrity.ts';
export * from './publish.ts';
