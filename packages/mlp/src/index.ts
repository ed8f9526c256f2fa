export * from './config.ts';
export * from './classification.ts';
export * from './empiricalNtkTwoLayer.ts';
export * from './kernelStats.ts';
export * from './trackedSubset.ts';
export * from './trainTwoLayer.ts';
export * from './stage.ts';
export { register, loadMlpConfig } from './cli.ts';
