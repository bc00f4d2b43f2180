// What a reader sees, measured in headless Chromium at phone and desktop widths: on the
// home page, every dashboard and an area profile, nothing may overlap or be cut.
//
// - Dashboard tiles: no two tiles' boxes intersect, and no tile's content reaches outside
//   its tile (a wide table painting over its neighbour).
// - Numbers are never cut: no HTML element holding a digit is cut by `text-overflow:
//   ellipsis`, and no SVG text cuts a number with "…" (e.g. "268 56…").
// - SVG labels: no `<text>` reaches outside its SVG's viewBox (where the browser clips it),
//   and no two `<text>` elements of one SVG overlap.
// - No page scrolls sideways.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { ARTIFACTS, DESKTOP, PHONE, check, expect, facts, get, guardedContext, launch, run, url } from './lib.mjs';

const F = await facts();
const SHOTS = join(ARTIFACTS, 'layout');
mkdirSync(SHOTS, { recursive: true });

const dashboards = (await get('/stories.json')).json().dashboards.map((d) => new URL(d.href, url('/')).pathname);
expect(dashboards.length > 0, 'the demo has no dashboards (/stories.json)');
const PAGES = [
  ['home', '/'],
  ...dashboards.map((d) => [`dashboard ${d}`, d]),
  ['area profile', `/area/${F.level}/${F.area.code}`],
];

// The widths of the issue: a phone, and a desktop a little wider than the e2e screenshots.
const WIDTHS = [
  ['phone', PHONE],
  ['desktop', { ...DESKTOP, width: 1400 }],
];

/** Runs in the page: every layout problem found, as strings. */
function problemsInPage() {
  const out = [];
  const EPS = 1; // px of tolerance for sub-pixel rounding
  const r = (e) => e.getBoundingClientRect();
  const fmt = (b) => `[${Math.round(b.left)},${Math.round(b.top)} ${Math.round(b.width)}×${Math.round(b.height)}]`;
  const shown = (e) => {
    const b = r(e);
    if (b.width < 2 || b.height < 2) return false; // .sr-only and the like
    for (let x = e; x && x.nodeType === 1; x = x.parentElement) {
      const s = getComputedStyle(x);
      if (s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0') return false;
    }
    return true;
  };
  const intersect = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > EPS && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > EPS;
  const inside = (a, box) => a.left >= box.left - EPS && a.right <= box.right + EPS && a.top >= box.top - EPS && a.bottom <= box.bottom + EPS;
  // An element's own text, without the tooltips of SVG <title> children.
  const textOf = (e) =>
    [...e.childNodes]
      .filter((n) => n.nodeName !== 'title')
      .map((n) => (n.nodeType === 1 ? textOf(n) : n.textContent))
      .join('');
  const label = (e) => {
    const t = textOf(e).trim().replace(/\s+/g, ' ');
    return `<${e.tagName.toLowerCase()}${e.className?.baseVal ?? (e.className ? `.${String(e.className).split(' ').join('.')}` : '')}> "${t.slice(0, 40)}"`;
  };
  /** Whether e lies in a scroll container (inside `stop`) that clips it on purpose. */
  const scrolled = (e, stop) => {
    for (let x = e.parentElement; x && x !== stop; x = x.parentElement) {
      const s = getComputedStyle(x);
      if (/(auto|scroll|hidden)/.test(s.overflowX + s.overflowY)) return true;
    }
    return false;
  };

  // Dashboard tiles.
  const tiles = [...document.querySelectorAll('.dash-grid > .tile')];
  tiles.forEach((t, i) => {
    const tb = r(t);
    const name = t.querySelector('h2')?.textContent.trim() || `tile ${i + 1}`;
    for (const u of tiles.slice(i + 1)) {
      if (intersect(tb, r(u))) out.push(`tiles overlap: "${name}" ${fmt(tb)} and "${u.querySelector('h2')?.textContent.trim()}" ${fmt(r(u))}`);
    }
    if (t.scrollWidth > t.clientWidth + EPS || t.scrollHeight > t.clientHeight + EPS) {
      out.push(`tile "${name}" overflows: content ${t.scrollWidth}×${t.scrollHeight} in ${t.clientWidth}×${t.clientHeight}`);
    }
    for (const e of t.querySelectorAll('*')) {
      if (e.closest('svg') && e.tagName.toLowerCase() !== 'svg') continue; // SVG content: below
      if (!shown(e) || scrolled(e, t)) continue;
      if (!inside(r(e), tb)) {
        out.push(`tile "${name}" ${fmt(tb)}: ${label(e)} ${fmt(r(e))} reaches outside it`);
        break;
      }
    }
  });

  // Numbers cut by an ellipsis in HTML.
  for (const e of document.querySelectorAll('main *')) {
    if (e.closest('svg')) continue;
    const s = getComputedStyle(e);
    if (s.textOverflow === 'ellipsis' && /\d/.test(e.textContent) && e.scrollWidth > e.clientWidth && shown(e)) {
      out.push(`number cut by an ellipsis: ${label(e)} (${e.scrollWidth}px in ${e.clientWidth}px)`);
    }
  }

  // SVG texts: a number cut by "…", clipped by the viewBox, overlapping another text.
  for (const svg of document.querySelectorAll('main svg')) {
    if (svg.parentElement.closest('svg') || !shown(svg)) continue;
    const sb = r(svg);
    const what = svg.getAttribute('aria-labelledby')
      ? document.getElementById(svg.getAttribute('aria-labelledby').split(' ')[0])?.textContent.trim()
      : svg.getAttribute('class');
    const texts = [...svg.querySelectorAll('text')].filter((t) => textOf(t).trim() && shown(t));
    const boxes = texts.map((t) => r(t));
    texts.forEach((t, i) => {
      const text = textOf(t).trim();
      if (/\d[\s\u00a0\u202f.,]*…/.test(text)) out.push(`SVG "${what}": a number is cut by an ellipsis: "${text}"`);
      if (!inside(boxes[i], sb)) out.push(`SVG "${what}" ${fmt(sb)}: text "${text}" ${fmt(boxes[i])} is clipped by the viewBox`);
      for (let j = i + 1; j < texts.length; j++) {
        if (intersect(boxes[i], boxes[j])) out.push(`SVG "${what}": texts overlap: "${text}" ${fmt(boxes[i])} and "${textOf(texts[j]).trim()}" ${fmt(boxes[j])}`);
      }
    });
  }

  const [sw, iw] = [document.documentElement.scrollWidth, window.innerWidth];
  if (sw > iw + 1) out.push(`the page scrolls sideways: ${sw}px wide in a ${iw}px window`);
  return out;
}

for (const [vp, viewport] of WIDTHS) {
  check(`nothing overlaps or is cut at ${vp} width (${viewport.width} px): home, dashboards, area profile`, async (browser) => {
    const ctx = await guardedContext(browser, { viewport, deviceScaleFactor: 1, isMobile: vp === 'phone', hasTouch: vp === 'phone' });
    try {
      const page = await ctx.newPage();
      page.setDefaultTimeout(10_000);
      const problems = [];
      for (const [name, path] of PAGES) {
        const resp = await page.goto(url(path), { waitUntil: 'load' });
        expect(resp && resp.status() === 200, `${path} answered ${resp && resp.status()}`);
        const found = await page.evaluate(problemsInPage);
        if (found.length) {
          await page.screenshot({ path: join(SHOTS, `${name.replace(/\W+/g, '-')}-${vp}.png`), fullPage: true });
          problems.push(`${name} (${path}):\n    ${found.slice(0, 12).join('\n    ')}${found.length > 12 ? `\n    … and ${found.length - 12} more` : ''}`);
        }
      }
      ctx.assertClean();
      expect(problems.length === 0, `at ${viewport.width} px:\n  ${problems.join('\n  ')}`);
    } finally {
      await ctx.close();
    }
  });
}

await run('Layout (Chromium: overlaps and cut text)', {
  setup: launch,
  teardown: (browser) => browser.close(),
});
