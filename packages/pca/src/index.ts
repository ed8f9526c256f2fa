export * from './config.ts';
export * from './pca.ts';
export * from './stage.ts';
