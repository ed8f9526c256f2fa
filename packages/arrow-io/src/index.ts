export * from './artifact.ts';
export * from './atomic.ts';
export * from './config.ts';
export * from './errors.ts';
export * from './hash.ts';
export * from './paths.ts';
export * from './progress.ts';
export * from './stage.ts';
