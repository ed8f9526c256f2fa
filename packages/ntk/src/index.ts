export * from './config.ts';
export * from './large-scale.ts';
export * from './stage.ts';
export { krrCli } from './large-scale-cli.ts';
