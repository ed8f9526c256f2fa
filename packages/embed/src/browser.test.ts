// The browser entry in headless Chromium: a page bundled by esbuild (importing '@tangent/embed',
// which the `browser` export condition maps to browser.ts) fetches the USE-lite files and the
// tfjs wasm binaries from a local server and embeds two texts; the vectors must match Node's.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedTexts } from './embed-texts.ts';
import { useLiteModelDir } from './use-lite.ts';

const CHROMIUM = '/usr/bin/chromium';
const TEXTS = ['a fire downtown', 'I love pizza'];
const DIM = 512;
const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser.test: ${CHROMIUM} not found (apt-get install chromium); skipping the headless Chromium test`);

const ENTRY = `
import { embedTexts } from '@tangent/embed';
const out = document.getElementById('out');
embedTexts(${JSON.stringify(TEXTS)}).then(
  (x) => { window.__result = { n: x.length, rows: Array.from(x) }; out.textContent = 'done'; },
  (e) => { window.__result = { error: String(e && e.stack || e) }; out.textContent = 'failed'; },
);
`;
const HTML = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>use-lite</title></head>
<body><p id="out">running</p><script type="module" src="app.js"></script></body></html>`;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.html': 'text/html',
};

/** URL prefix → folder; only files inside the folder are served. */
function serve(bundle: string, roots: Record<string, string>): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const send = (status: number, body: string | Buffer, type = 'text/plain') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (path === '/' || path === '/index.html') return send(200, HTML, TYPES['.html']);
    if (path === '/app.js') return send(200, bundle, TYPES['.js']);
    for (const [prefix, dir] of Object.entries(roots)) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(dir, path.slice(prefix.length)));
      if (!file.startsWith(dir + sep) || !existsSync(file)) break;
      const ext = /\.[a-z]+$/.exec(file)?.[0] ?? '';
      return send(200, readFileSync(file), TYPES[ext] ?? 'application/octet-stream');
    }
    send(404, `not found: ${path}`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.skipIf(!hasChromium)('browser entry in headless Chromium', () => {
  let browser: Browser;
  let server: Server;
  let profile: string;

  beforeAll(async () => {
    const bundled = await build({
      stdin: { contents: ENTRY, resolveDir: pkgDir, loader: 'js', sourcefile: 'page.js' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    server = await serve(bundled.outputFiles[0].text, {
      '/use-lite/': useLiteModelDir(),
      '/tfjs-wasm/': join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'),
    });
    profile = mkdtempSync(join(tmpdir(), 'tangent-chromium-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--disk-cache-dir=${join(profile, 'cache')}`,
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('embeds two texts to unit 512-d vectors equal to Node USE-lite', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => (globalThis as { __result?: unknown }).__result !== undefined, undefined, { timeout: 50_000 });
    const result = (await page.evaluate(() => (globalThis as { __result?: unknown }).__result)) as {
      n?: number;
      rows?: number[];
      error?: string;
    };
    expect(result.error).toBeUndefined();
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
    expect(result.n).toBe(TEXTS.length * DIM);
    const got = Float32Array.from(result.rows!);
    for (let i = 0; i < TEXTS.length; i++) {
      let s = 0;
      for (let j = 0; j < DIM; j++) s += got[i * DIM + j] ** 2;
      expect(Math.sqrt(s)).toBeCloseTo(1, 5);
    }
    const ref = await embedTexts(TEXTS, { model: 'use-lite', useLite: { threads: 1 } });
    let maxDiff = 0;
    for (let k = 0; k < ref.length; k++) maxDiff = Math.max(maxDiff, Math.abs(ref[k] - got[k]));
    expect(maxDiff).toBeLessThan(1e-4);
  }, 60_000);
});
