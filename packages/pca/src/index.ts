export * from './config.ts';
export * from './pca.ts';
export * from './schema.ts';
export * from './stage.ts';
export { register as registerPca, loadPcaConfig } from './cli.ts';
