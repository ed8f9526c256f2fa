export * from './config.ts';
export * from './split-artifact.ts';
export * from './stage.ts';
export { register as registerNtk, loadNtkConfig } from './cli.ts';
export * from './large-scale.ts';
