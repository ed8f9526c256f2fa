// embedTexts with the offline USE-lite model, in worker threads; prints JSON.
import { embedTexts } from '@tangent/embed';

const v = await embedTexts(['a fire downtown', 'I love pizza'], { model: 'use-lite', useLite: { threads: 2 } });
const norms = [0, 1].map((r) => Math.hypot(...v.subarray(r * 512, (r + 1) * 512)));
console.log(
  JSON.stringify({ length: v.length, dim: v.length / 2, norms, cosine: v.subarray(0, 512).reduce((s, x, i) => s + x * v[512 + i], 0) }),
);
