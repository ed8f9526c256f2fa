export * from './matrix.ts';
export * from './random.ts';
