export * from './config.ts';
export * from './embedder.ts';
export * from './minilm.ts';
export * from './models.ts';
export * from './sentencepiece.ts';
export * from './stage.ts';
export * from './use-lite.ts';
export * from './use-lite-graph.ts';
export { embedCli, embedConfigWithFlags } from './cli.ts';
