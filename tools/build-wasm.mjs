// `npm run build:wasm`: compiles each packages/*/src/*.wat (WebAssembly text, the source of truth)
// to <name>-wasm.ts beside it, the binary as base64, so the packages load it without a build step
// or a file read. A test checks that every committed <name>-wasm.ts is the compilation of its .wat.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import wabtInit from 'wabt';

const root = resolve(import.meta.dirname, '..');

/** The generated module's text for one .wat source. */
export async function compileWat(path) {
  const wabt = await wabtInit();
  // threads: shared memories (the parallel Gram's workers bind one)
  const features = { threads: true };
  const mod = wabt.parseWat(path, readFileSync(path, 'utf8'), features);
  mod.validate(features);
  const { buffer } = mod.toBinary({});
  mod.destroy();
  const name = path.split('/').pop();
  return `// Generated from ${name} by \`npm run build:wasm\` (tools/build-wasm.mjs); do not edit.\nexport default '${Buffer.from(buffer).toString('base64')}';\n`;
}

export function watSources() {
  const out = [];
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const dir = join(root, 'packages', pkg, 'src');
    try {
      for (const f of readdirSync(dir)) if (f.endsWith('.wat')) out.push(join(dir, f));
    } catch {
      // a package without src/
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`)
  for (const wat of watSources()) {
    const target = wat.replace(/\.wat$/, '-wasm.ts');
    writeFileSync(target, await compileWat(wat));
    console.log(`${wat.slice(root.length + 1)} -> ${target.slice(root.length + 1)}`);
  }
