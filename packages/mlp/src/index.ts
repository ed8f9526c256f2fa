export * from './analytical-kernel.ts';
export * from './config.ts';
export * from './empirical-ntk-two-layer.ts';
export * from './kernel-stats.ts';
export * from './tracked-subset.ts';
export * from './train-two-layer.ts';
export * from './stage.ts';
