// Shared by e2e.mjs, a11y.mjs and lighthouse.mjs: where the site is, where artifacts go,
// how Chromium is started, and a tiny sequential test runner with a readable summary.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));

/** The running site, e.g. http://127.0.0.1:8080 (no trailing slash). */
export const BASE = (() => {
  const url = process.env.PEIL_URL;
  if (!url) {
    console.error('PEIL_URL is not set: start `peil serve` and set PEIL_URL=http://127.0.0.1:PORT');
    process.exit(2);
  }
  return url.replace(/\/+$/, '');
})();
export const BASE_HOST = new URL(BASE).host;

/** Where screenshots and reports are written. */
export const ARTIFACTS = resolve(
  process.env.PEIL_ARTIFACTS || resolve(here, '../../target/browser-artifacts'),
);
mkdirSync(ARTIFACTS, { recursive: true });

export const CHROMIUM = process.env.PEIL_CHROMIUM || '/usr/bin/chromium';

/** Flags that keep Chromium quiet on a machine without internet. */
export const CHROME_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1366, height: 900 };

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROME_FLAGS,
  });
}

/** `/indicator/x` → absolute URL on the site under test. */
export const url = (path) => BASE + path;

/**
 * A browser context that records everything the site must not do: requests to any host but
 * the site's own (they are aborted, so nothing leaves the machine either), console errors and
 * uncaught page errors. Call `ctx.assertClean()` at the end of a check.
 */
export async function guardedContext(browser, options = {}) {
  const ctx = await browser.newContext({ viewport: DESKTOP, ...options });
  const offHost = [];
  const consoleErrors = [];
  const failed = [];
  await ctx.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.protocol === 'data:' || u.protocol === 'blob:' || u.host === BASE_HOST) {
      return route.continue();
    }
    offHost.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  const watch = (page) => {
    page.on('console', (msg) => {
      if (msg.type() === 'error') {
        const loc = msg.location();
        // The browser's own "Failed to load resource" line for an answer a check asked for.
        if (loc?.url && ctx._expected404.has(loc.url) && /Failed to load resource/.test(msg.text())) return;
        consoleErrors.push(`${page.url()}: ${msg.text()}${loc?.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
      }
    });
    page.on('pageerror', (err) => consoleErrors.push(`${page.url()}: uncaught ${err.stack || err}`));
    page.on('response', (resp) => {
      if (resp.status() >= 400 && !ctx._expected404.has(resp.url())) {
        failed.push(`${resp.status()} ${resp.request().method()} ${resp.url()}`);
      }
    });
  };
  ctx._expected404 = new Set();
  ctx.on('page', watch);
  ctx.expectError = (u) => ctx._expected404.add(u);
  ctx.assertClean = () => {
    const problems = [];
    if (offHost.length) problems.push(`requests to other hosts than ${BASE_HOST} (must be air-gapped):\n    ${[...new Set(offHost)].join('\n    ')}`);
    if (consoleErrors.length) problems.push(`console errors:\n    ${consoleErrors.join('\n    ')}`);
    if (failed.length) problems.push(`failed requests:\n    ${[...new Set(failed)].join('\n    ')}`);
    if (problems.length) throw new Error(problems.join('\n  '));
  };
  return ctx;
}

// ---------------------------------------------------------------------------------------
// A minimal sequential runner: `check(name, fn)` registers, `run(title)` runs them all,
// prints one line per check and a summary, and sets the exit code.

const checks = [];
export function check(name, fn) {
  checks.push({ name, fn });
}

export async function run(title, { setup, teardown } = {}) {
  const only = process.env.PEIL_ONLY ? new RegExp(process.env.PEIL_ONLY, 'i') : null;
  const started = Date.now();
  console.log(`\n== ${title} against ${BASE} (artifacts: ${ARTIFACTS})`);
  let env;
  try {
    env = setup ? await setup() : undefined;
  } catch (e) {
    console.log(`FAILED to set up: ${e.stack || e}`);
    process.exit(1);
  }
  const failures = [];
  let ran = 0;
  for (const c of checks) {
    if (only && !only.test(c.name)) continue;
    ran++;
    const t0 = Date.now();
    try {
      await c.fn(env);
      console.log(`  ok    ${c.name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failures.push({ name: c.name, error: e });
      console.log(`  FAIL  ${c.name} (${Date.now() - t0} ms)\n${indent(errorText(e), 8)}`);
    }
  }
  if (teardown) await teardown(env).catch((e) => console.log(`teardown: ${e}`));
  // Idle keep-alive connections of fetch() would otherwise hold the process for up to a minute.
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (failures.length) {
    console.log(`\n== ${title}: ${failures.length} of ${ran} checks FAILED (${secs} s):`);
    for (const f of failures) console.log(`   - ${f.name}: ${firstLine(errorText(f.error))}`);
    process.exitCode = 1;
  } else {
    console.log(`\n== ${title}: all ${ran} checks passed (${secs} s)`);
  }
  process.exit(process.exitCode ?? 0);
}

function errorText(e) {
  if (!e) return String(e);
  // Playwright's messages carry a call log that is useful; stack frames from node_modules are not.
  const msg = e.message || String(e);
  const frame = (e.stack || '')
    .split('\n')
    .find((l) => l.includes('.mjs') && !l.includes('node_modules') && !l.includes('lib.mjs'));
  return frame ? `${msg}\n${frame.trim()}` : msg;
}
const firstLine = (s) => s.split('\n')[0].slice(0, 200);
const indent = (s, n) => s.split('\n').map((l) => ' '.repeat(n) + l).join('\n');

/** A plain assertion with a message. */
export function expect(cond, message) {
  if (!cond) throw new Error(message);
}

/**
 * Parses CSV text (RFC 4180: quotes, doubled quotes, CRLF) into arrays of cells. The
 * delimiter is `,` or `;`, from an Excel `sep=` line or whichever the header line has more of.
 */
export function parseCsv(text) {
  let forced = null;
  text = text.replace(/^\uFEFF/, '').replace(/^sep=(.)\r?\n/, (_, d) => ((forced = d), ''));
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delim = forced || ((firstLine.match(/;/g) || []).length > (firstLine.match(/,/g) || []).length ? ';' : ',');
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delim) {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** CSV rows → objects keyed by the header row. */
export function csvObjects(text) {
  const [head, ...rows] = parseCsv(text);
  return rows.filter((r) => r.length > 1 || r[0] !== '').map((r) => Object.fromEntries(head.map((h, i) => [h.trim(), r[i]])));
}

/** GET a path on the site; returns { status, headers, text, json() }. */
export async function get(path, headers = {}) {
  const r = await fetch(url(path), { headers, redirect: 'manual' });
  const text = await r.text();
  return {
    status: r.status,
    headers: r.headers,
    text,
    json: () => JSON.parse(text),
  };
}

/**
 * What the tests need to know about the demo city, read from its API so that the tests
 * follow the data: the population indicator, a level with a handful of areas, an area of it,
 * a second area, and the indicator's periods at that level.
 */
export async function facts() {
  const ind = (await get('/api/v1/indicators/v1101_t')).json();
  const level = 'wijk';
  const items = (await get(`/api/v1/geolevels/${level}/items`)).json().items.filter((i) => !i.unknown_location);
  const periods = ind.levels.find((l) => l.code === level).periods;
  return {
    indicator: ind.code,
    indicatorName: ind.name.nl, // "Inwoners"
    indicatorNameEn: ind.name.en,
    level,
    otherLevel: 'district',
    area: items[0], // { code, name, short_name }
    area2: items[1],
    periods,
    latest: periods[periods.length - 1],
    themes: (await get('/api/v1/themes')).json().themes,
  };
}
