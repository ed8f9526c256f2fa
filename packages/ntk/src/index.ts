export * from './config.ts';
export * from './large-scale.ts';
export * from './stage.ts';
export { register as registerKrr } from './large-scale-cli.ts';
