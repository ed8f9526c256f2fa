// Type-checked by the consumer test with `tsc --noEmit` against the packed .d.ts files.
import { embedTexts, type Embedder } from '@tangent/embed';
import { kernelRidgeFit, kernelRidgePredict, ntkGram } from '@tangent/kernels';
import { mat64, type Mat64 } from '@tangent/linalg';
import { readArtifact } from '@tangent/arrow-io';
import { TangentError } from '@tangent/base';
import { cleanTweet } from '@tangent/text';
import { fitPca } from '@tangent/pca';

const vectors: Float32Array = await embedTexts(['a fire downtown', 'I love pizza'], { model: 'use-lite' });
const X: Mat64 = mat64(2, 512, Float64Array.from(vectors));
const K: Mat64 = ntkGram(X);
const alpha: Float64Array = kernelRidgeFit(K, Float64Array.of(1, -1), 0.1);
const yHat: Float64Array = kernelRidgePredict(K, alpha);
const clean: string = cleanTweet('Fire at http://t.co/x &amp; more');
const use = (e: Embedder): number => e.dim;
export { alpha, yHat, clean, use, readArtifact, TangentError, fitPca };
