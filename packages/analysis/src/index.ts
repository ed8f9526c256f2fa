export * from './analyse.ts';
export * from './charts.ts';
export * from './collect.ts';
export * from './config.ts';
export * from './report.ts';
export * from './stage.ts';
export * from './submissions.ts';
