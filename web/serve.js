// `npm start`: serves the playground (web/) and the package (js/) from the
// repository root on http://127.0.0.1:8080 (PORT or --port to change).
// COOP/COEP headers make the page cross-origin isolated, so workers can share
// memory and timers are precise.  Also used by the browser tests.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.bin': 'application/octet-stream', '.gz': 'application/gzip',
};

/**
 * Starts the static server.
 * @param {{port?: number, host?: string, root?: string, isolated?: boolean}} [options] port 0 picks a free one;
 *   `isolated: false` leaves out the COOP/COEP headers, for tests of a page that is not cross-origin isolated
 * @returns {Promise<{url: string, close: () => Promise<void>}>}
 */
export function startServer({ port = 8080, host = '127.0.0.1', root = ROOT, isolated = true } = {}) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/' && root === ROOT) return redirect(res, '/web/'); // the playground is the front page
    let file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) return send(res, 403, 'forbidden');
    try {
      if ((await stat(file)).isDirectory()) {
        // index.html's relative links need the trailing slash
        if (!path.endsWith('/')) return redirect(res, `${path}/`);
        file = join(file, 'index.html');
      }
      const body = await readFile(file);
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        ...(isolated && { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }),
        'Cache-Control': 'no-cache',
      });
      res.end(body);
    } catch {
      send(res, 404, 'not found');
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      ok({ url: `http://${host}:${actual}/`, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

function redirect(res, location) {
  res.writeHead(302, { Location: location });
  res.end();
}

function send(res, code, text) {
  res.writeHead(code, { 'Content-Type': 'text/plain' });
  res.end(text);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const flag = process.argv.indexOf('--port');
  const port = Number(flag > 0 ? process.argv[flag + 1] : process.env.PORT ?? 8080);
  const { url } = await startServer({ port });
  console.log(`logsoftmax playground: ${url}web/`);
}
