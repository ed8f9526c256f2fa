// A shared Nx cache on a directory: a small HTTP server implementing Nx's self-hosted remote
// cache API (GET/PUT /v1/cache/{hash}, tar archives as binary; Nx ≥ 20.8 talks to it when
// NX_SELF_HOSTED_REMOTE_CACHE_SERVER is set). Every clone pointed at the same directory (a team
// share, an NFS mount, a synced bucket) reuses the others' task results. Entries are written to a
// temp name and renamed, so a reader never sees half an archive; an existing hash is never
// overwritten (409), as the API specifies.
//   node tools/cache-server.mjs <dir> [port]   prints "listening <url>" once ready
// `npm start` starts one on a free localhost port when TANGENT_SHARED_CACHE=<dir> is set.
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';

export function startCacheServer(dir, port = 0, token = process.env.NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN) {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true });
  const server = createServer((req, res) => {
    const m = /^\/v1\/cache\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '');
    if (!m) return res.writeHead(404).end();
    if (token && req.headers.authorization !== `Bearer ${token}`) return res.writeHead(401).end();
    const file = join(root, `${m[1]}.tar`);
    if (req.method === 'GET') {
      if (!existsSync(file)) return res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': statSync(file).size });
      return createReadStream(file).pipe(res);
    }
    if (req.method === 'PUT') {
      if (existsSync(file)) {
        req.resume();
        return res.writeHead(409).end();
      }
      const tmp = `${file}.${process.pid}.${Date.now()}.part`;
      const out = createWriteStream(tmp);
      req.pipe(out);
      out.on('finish', () => {
        renameSync(tmp, file);
        res.writeHead(200).end();
      });
      out.on('error', () => {
        rmSync(tmp, { force: true });
        res.writeHead(500).end();
      });
      return;
    }
    res.writeHead(405).end();
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok({ server, url: `http://127.0.0.1:${server.address().port}` })));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, port] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: node tools/cache-server.mjs <dir> [port]\n');
    process.exit(1);
  }
  const { url } = await startCacheServer(dir, Number(port ?? 0));
  process.stdout.write(`listening ${url}\n`);
}
