// The pipeline's stages: one line each (`npm run new-stage -- <name>` appends one). Their order
// is the graph's (stage-registry.ts sorts them by their declared inputs).
export { analysisNode } from './analysis.ts';
export { embedNode } from './embed.ts';
export { hybridNode } from './hybrid.ts';
export { krrNode } from './krr.ts';
export { mlpSubmitNode } from './mlp-submit.ts';
export { mlpNode } from './mlp.ts';
export { ntkNode } from './ntk.ts';
export { pcaNode } from './pca.ts';
export { submissionsNode } from './submissions.ts';
export { textNode } from './text.ts';
