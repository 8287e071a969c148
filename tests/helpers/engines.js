// The browser engines the cross-engine tests run, behind one interface:
//
//   const browser = await launch('chromium' | 'firefox' | 'webkit');
//   browser.name, browser.version
//   await browser.open(url)           a new page at url, loaded
//   await browser.evaluate(fn, arg)   runs fn(arg) in the page; its (awaited) result, as JSON
//   await browser.errors()            console errors and uncaught errors of the page since open()
//   await browser.close()
//
// Each engine through what drives it best on Debian, never a downloaded browser:
// - Chromium: /usr/bin/chromium by playwright-core (helpers/browser.js).
// - Firefox ESR: /usr/bin/firefox-esr by puppeteer-core over WebDriver BiDi.
// - WebKitGTK: WebKitWebDriver (its MiniBrowser) on a private Xvfb display,
//   over the W3C WebDriver HTTP protocol with the small client below.
// Where an engine is missing the tests skip loudly, except under CI=true,
// where that is a failure (helpers/browser.js's policy).
//
// startWireServer() serves the repository (and other directories) as
// `npm start` does and logs every response, so tests can see which files went
// over the wire; buildsCarried() says which wasm builds a response (or any
// file a bundler emitted) carries.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { resolve } from 'node:path';
import { gzipSync, inflateSync } from 'node:zlib';
import { startServer } from '../../web/serve.js';
import { CHROMIUM, launchBrowser, executableSkipReason } from './browser.js';

export const ENGINES = ['chromium', 'firefox', 'webkit'];

const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
const WEBKIT_DRIVER = process.env.WEBKIT_WEBDRIVER_PATH ?? '/usr/bin/WebKitWebDriver';
const XVFB = process.env.XVFB_PATH ?? '/usr/bin/Xvfb';

// The build init() must pick in each engine, by the README's browser table:
// relaxed SIMD from the versions it gives, SIMD128 before (Firefox from 113,
// whose DecompressionStream unpacks the embedded SIMD builds; scalar before);
// WebKit has no relaxed SIMD.
const major = (version) => Number(String(version).split('.')[0]);
const EXPECTED_BUILD = {
  chromium: (version) => (major(version) >= 114 ? 'relaxed' : 'simd'),
  firefox: (version) => (major(version) >= 146 ? 'relaxed' : major(version) >= 113 ? 'simd' : 'scalar'),
  webkit: () => 'simd',
};

/** The build init() picks in `engine` at `version` (a launched browser's `version`). */
export function expectedBuild(engine, version) {
  if (!EXPECTED_BUILD[engine]) throw new RangeError(`unknown engine ${engine}`);
  return EXPECTED_BUILD[engine](version);
}

// Each build's bytes, and the string js/wasm-<build>.js embeds for it (its
// base64, deflated first for the SIMD builds): a bundler copies that string
// literal into whatever chunk holds the module, so the string itself names
// the build wherever it lands.  Each string is checked to unpack to its
// .wasm, so that a generated module that drifted is not taken on trust.
const BUILDS = ['relaxed', 'simd', 'scalar'];
const WASM_DIR = new URL('../../js/', import.meta.url);
const RAW = Object.fromEntries(BUILDS.map((b) => [b, readFileSync(new URL(`logsoftmax-${b}.wasm`, WASM_DIR))]));
const EMBEDDED = Object.fromEntries(BUILDS.map((b) => {
  const source = readFileSync(new URL(`wasm-${b}.js`, WASM_DIR), 'utf8');
  const text = source.match(/export default "([A-Za-z0-9+/=]+)";/)[1];
  const bytes = Buffer.from(text, 'base64');
  const unpacked = /export const deflated = true;/.test(source) ? inflateSync(bytes) : bytes;
  if (!unpacked.equals(RAW[b])) throw new Error(`js/wasm-${b}.js does not hold js/logsoftmax-${b}.wasm: run ./build.sh`);
  return [b, text];
}));
const WASM_MAGIC = Buffer.from([0, 0x61, 0x73, 0x6d]);

/**
 * The builds whose bytes `body` carries, best first: a build's embedded string
 * anywhere in it (its own module, a bundler's chunk of it, or a bundle that
 * inlined several), or the body being that build's .wasm.  [] for none.
 * @param {Buffer} body
 * @returns {string[]}
 */
export function buildsCarried(body) {
  if (body.subarray(0, 4).equals(WASM_MAGIC)) return BUILDS.filter((b) => body.equals(RAW[b]));
  const text = body.toString('latin1');
  return BUILDS.filter((b) => text.includes(EMBEDDED[b]));
}

/** Why `engine` cannot run here, or null if it can.  Throws under CI=true. */
export function engineSkipReason(engine) {
  switch (engine) {
    case 'chromium':
      return executableSkipReason('Chromium', CHROMIUM, 'apt-get install -y chromium');
    case 'firefox':
      return executableSkipReason('Firefox ESR', FIREFOX, 'apt-get install -y firefox-esr');
    case 'webkit':
      return executableSkipReason('WebKitWebDriver', WEBKIT_DRIVER, 'apt-get install -y webkit2gtk-driver xvfb')
        ?? executableSkipReason('Xvfb', XVFB, 'apt-get install -y webkit2gtk-driver xvfb');
    default:
      throw new RangeError(`unknown engine ${engine}`);
  }
}

/** Launches `engine` (one of ENGINES). */
export function launch(engine) {
  switch (engine) {
    case 'chromium': return launchChromium();
    case 'firefox': return launchFirefox();
    case 'webkit': return launchWebKit();
    default: throw new RangeError(`unknown engine ${engine}`);
  }
}

// Every engine evaluates the same source text, so a function behaves alike
// whatever each driver does with function arguments.
const callSource = (fn, arg) => `(${fn})(${JSON.stringify(arg ?? null)})`;

async function launchChromium() {
  const browser = await launchBrowser();
  return pageDriver('chromium', browser.version(), browser);
}

async function launchFirefox() {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true });
  return pageDriver('firefox', (await browser.version()).replace(/^firefox\//, ''), browser);
}

// playwright-core's and puppeteer-core's browsers and pages agree on all
// that is used here, console and uncaught-error events included.
function pageDriver(name, version, browser) {
  let page = null, errors = [];
  return {
    name,
    version,
    async open(url) {
      await page?.close();
      errors = [];
      page = await browser.newPage();
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
    },
    evaluate: (fn, arg) => page.evaluate(callSource(fn, arg)),
    errors: async () => [...errors],
    close: () => browser.close(),
  };
}

// The processes this module started, killed (each its own process group) even
// if a test run dies without closing them.
const children = new Set();
process.once('exit', () => children.forEach(kill));

function kill(child) {
  children.delete(child);
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function startGroup(command, args, options) {
  const child = spawn(command, args, { ...options, detached: true });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** A private X display: Xvfb picks a free number and writes it to fd 3 once ready. */
async function startXvfb() {
  const xvfb = startGroup(XVFB, ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  xvfb.stderr.on('data', (d) => (stderr += d));
  const display = await new Promise((ok, fail) => {
    xvfb.stdio[3].once('data', (d) => ok(`:${String(d).trim()}`));
    xvfb.once('exit', (code) => fail(new Error(`Xvfb exited (${code}): ${stderr}`)));
  });
  return { display, stop: () => kill(xvfb) };
}

function freePort() {
  return new Promise((ok, fail) => {
    const probe = createNetServer().once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
}

async function launchWebKit() {
  const xvfb = await startXvfb();
  const port = await freePort();
  const driver = startGroup(WEBKIT_DRIVER, [`--port=${port}`], {
    stdio: ['ignore', 'ignore', 'ignore'],
    // WebKitGTK's bubblewrap sandbox needs user namespaces, which containers
    // often deny (Chromium runs with --no-sandbox for the same reason); the
    // pages are the tests' own.  No accessibility bus: nothing listens on it.
    env: { ...process.env, DISPLAY: xvfb.display, WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS: '1', NO_AT_BRIDGE: '1' },
  });
  const stop = () => {
    kill(driver);
    xvfb.stop();
  };
  const base = `http://127.0.0.1:${port}`;
  async function command(method, path, body) {
    const res = await fetch(base + path, {
      method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body),
    });
    const { value } = await res.json();
    if (!res.ok) throw new Error(`WebKitWebDriver ${method} ${path}: ${value.error}: ${value.message}`);
    return value;
  }
  try {
    for (let tries = 0; ; tries++) {
      try {
        if ((await command('GET', '/status')).ready) break;
      } catch (err) {
        if (tries > 100 || driver.exitCode !== null) throw new Error(`WebKitWebDriver did not start: ${err.message}`);
      }
      await new Promise((ok) => setTimeout(ok, 100));
    }
    const { sessionId, capabilities } = await command('POST', '/session', { capabilities: { alwaysMatch: {} } });
    const session = `/session/${sessionId}`;
    await command('POST', `${session}/timeouts`, { script: 120_000, pageLoad: 60_000 });
    // WebDriver classic has no console events: the page's own trap
    // (startWireServer puts it in every HTML page) collects them.
    const evaluate = async (fn, arg) => {
      const script = `const done = arguments[arguments.length - 1];
        Promise.resolve().then(() => ${callSource(fn, arg)})
          .then((value) => done({ value }), (e) => done({ error: String(e) + (e && e.stack ? '\\n' + e.stack : '') }));`;
      const { value, error } = await command('POST', `${session}/execute/async`, { script, args: [] });
      if (error !== undefined) throw new Error(`in WebKit: ${error}`);
      return value;
    };
    return {
      name: 'webkit',
      version: capabilities.browserVersion,
      open: (url) => command('POST', `${session}/url`, { url }),
      evaluate,
      errors: () => evaluate(() => window.__pageErrors ?? ['no error trap in this page']),
      async close() {
        await command('DELETE', session).catch(() => {});
        stop();
      },
    };
  } catch (err) {
    stop();
    throw err;
  }
}

// Collects a page's console errors and uncaught errors from its first
// script on, for engines whose driver reports none (WebKit's).
const ERROR_TRAP = `<script>(() => {
  const errors = (window.__pageErrors = []);
  const consoleError = console.error;
  console.error = (...args) => { errors.push(args.map(String).join(' ')); consoleError.apply(console, args); };
  addEventListener('error', (e) => errors.push(e.message ?? \`failed to load \${e.target.src ?? e.target.href}\`), true);
  addEventListener('unhandledrejection', (e) => errors.push(\`unhandled rejection: \${e.reason}\`));
})();</script>`;

// Ports that browsers refuse to fetch from (the Fetch standard's list);
// ephemeral ports are above them, unless a system configures otherwise.
const BAD_PORTS = new Set([1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95,
  101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513,
  514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080]);

/**
 * Serves directories through web/serve.js (the headers of `npm start`) behind
 * one front server that logs every response.
 * @param {Record<string, string>} mounts URL prefix ('/', '/bundle/') → directory; the longest prefix wins
 * @returns {Promise<{url: string, log: {path: string, status: number, bytes: number, gzipBytes: number, body: Buffer}[],
 *                    close: () => Promise<void>}>}
 *   `log`: every response in order; `bytes`: its body as sent (web/serve.js
 *   does not compress); `gzipBytes`: that body gzipped at zlib's default
 *   level, what a compressing server would send
 */
export async function startWireServer(mounts) {
  const backends = await Promise.all(Object.entries(mounts).map(async ([prefix, root]) => (
    { prefix, server: await startServer({ port: 0, root: resolve(root) }) }))); // serve.js wants no trailing slash
  backends.sort((a, b) => b.prefix.length - a.prefix.length);
  const log = [];
  const front = createServer((req, res) => {
    const { prefix, server } = backends.find((b) => req.url.startsWith(b.prefix));
    const target = new URL(`/${req.url.slice(prefix.length)}`, server.url);
    const headers = { ...req.headers, host: target.host };
    delete headers['accept-encoding']; // log the bytes as served, uncompressed
    request(target, { method: req.method, headers }, (back) => {
      const chunks = [];
      back.on('data', (c) => chunks.push(c));
      back.on('end', () => {
        let body = Buffer.concat(chunks);
        const out = { ...back.headers };
        if (out.location?.startsWith('/')) out.location = prefix + out.location.slice(1);
        if (/^text\/html/.test(out['content-type'] ?? '')) {
          body = Buffer.from(String(body).replace(/^(<!doctype html>)?/i, (doctype) => doctype + ERROR_TRAP));
        }
        out['content-length'] = body.length;
        log.push({
          path: decodeURIComponent(new URL(req.url, 'http://x').pathname), status: back.statusCode,
          bytes: body.length, gzipBytes: gzipSync(body).length, body,
        });
        res.writeHead(back.statusCode, out);
        res.end(body);
      });
    }).on('error', (err) => {
      res.writeHead(502);
      res.end(String(err));
    }).end();
  });
  for (let tries = 0; ; tries++) {
    await new Promise((ok, fail) => front.once('error', fail).listen(0, '127.0.0.1', ok));
    if (!BAD_PORTS.has(front.address().port)) break;
    if (tries > 10) throw new Error('no port that browsers fetch from');
    await new Promise((ok) => front.close(ok));
  }
  return {
    url: `http://127.0.0.1:${front.address().port}/`,
    log,
    async close() {
      front.closeAllConnections();
      await new Promise((ok) => front.close(ok));
      await Promise.all(backends.map((b) => b.server.close()));
    },
  };
}
