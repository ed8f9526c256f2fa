export * from './clean.ts';
export * from './config.ts';
export * from './csv.ts';
export * from './duplicates.ts';
export { MOJIBAKE_BYTE, type MojibakeOptions } from './mojibake.ts';
export * from './stage.ts';
