export * from './errors.ts';
export * from './progress.ts';
