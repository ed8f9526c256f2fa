export * from './config.ts';
export * from './stage.ts';
