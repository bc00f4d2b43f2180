// End-to-end checks of the website in headless Chromium (Playwright): what a visitor does —
// open the home page, search, open an indicator, hover and select areas in the triptych,
// switch period, level and classification, download the data and compare it with the API,
// open an area profile, compare, explore, embed — with and without JavaScript, at phone and
// desktop widths. Every check also fails on a request to another host than the site's own,
// on a console error and on a failed request.
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createServer } from 'node:http';
import {
  ARTIFACTS,
  BASE,
  BASE_HOST,
  DESKTOP,
  PHONE,
  check,
  csvObjects,
  expect,
  facts,
  get,
  guardedContext,
  launch,
  run,
  url,
} from './lib.mjs';

const F = await facts();
const IND = F.indicator;
const LVL = F.level;
const A = F.area;
const A2 = F.area2;
const OLD = F.periods.includes('2020') ? '2020' : F.periods[0];
const TRIPTYCH = 'section.triptych';
const MAP_PATHS = `${TRIPTYCH} figure.map svg.map path[data-area]`;
const BARS = `${TRIPTYCH} figure.chart svg .bar[data-area]`;
const ROWS = `${TRIPTYCH} table.data tbody tr[data-area]`;
const SHOTS = join(ARTIFACTS, 'screenshots');
mkdirSync(SHOTS, { recursive: true });

/** Runs `fn(page, ctx)` in a fresh guarded context; fails on off-host requests and console errors. */
async function withPage(browser, options, fn) {
  const ctx = await guardedContext(browser, options);
  try {
    const page = await ctx.newPage();
    page.setDefaultTimeout(10_000);
    await fn(page, ctx);
    ctx.assertClean();
  } finally {
    await ctx.close();
  }
}

async function open(page, path, status = 200) {
  const resp = await page.goto(url(path), { waitUntil: 'load' });
  expect(resp, `no response for ${path}`);
  expect(resp.status() === status, `${path} answered ${resp.status()}, expected ${status}`);
  return resp;
}

/** The API's values for one indicator, level and period: Map(area code → number|null). */
async function apiValues(indicator, level, period) {
  const r = await get(`/api/v1/data?indicator=${indicator}&level=${level}&period=${period}&format=csv`);
  expect(r.status === 200, `API data answered ${r.status}: ${r.text.slice(0, 300)}`);
  const rows = csvObjects(r.text);
  return new Map(rows.map((x) => [x.item, x.value === '' ? null : Number(x.value)]));
}

/** Digits of a displayed integer ("17.832", "17 832", "17,832" → "17832"). */
const digits = (s) => s.replace(/[^\d-]/g, '');

/** Reads the triptych table: [{ code, cells: [text…] }] in row order. */
const tableRows = (page) =>
  page.$$eval(ROWS, (trs) =>
    trs.map((tr) => ({
      code: tr.dataset.area,
      value: tr.querySelector('[data-value]')?.dataset.value ?? null,
      cells: [...tr.querySelectorAll('th,td')].map((c) => c.textContent.trim()),
    })),
  );

/** Asserts that the table shows the API's (integer) value for every area in it. */
async function expectTableMatchesApi(page, level, period) {
  const api = await apiValues(IND, level, period);
  const rows = await tableRows(page);
  expect(rows.length > 0, `no table rows (${ROWS})`);
  const wrong = [];
  for (const r of rows) {
    expect(api.has(r.code), `table row data-area="${r.code}" is not an area of level ${level} in the API`);
    const v = api.get(r.code);
    if (v == null) continue;
    const shown = r.value != null ? Number(r.value) === v : r.cells.some((c) => digits(c) === String(v));
    if (!shown) wrong.push(`${r.code}: API ${v}, row shows ${JSON.stringify(r.cells)}`);
  }
  expect(wrong.length === 0, `table values differ from the API (${level}, ${period}):\n  ${wrong.slice(0, 5).join('\n  ')}`);
  const withGeo = [...api.keys()].filter((c) => !c.endsWith('ZZZZ') && !/niet te lokaliseren/i.test(c));
  const missing = withGeo.filter((c) => !rows.some((r) => r.code === c));
  expect(missing.length === 0, `table lacks areas the API has: ${missing.join(', ')}`);
}

/**
 * A point of the viewport where this map area, and nothing on top of it, is under the mouse
 * (a polygon's bounding-box centre can lie in a neighbour).
 */
async function pointInside(page, selector) {
  await page.locator(selector).first().scrollIntoViewIfNeeded();
  const pt = await page.$eval(selector, (p) => {
    const box = p.getBBox();
    const ctm = p.getScreenCTM();
    const svg = p.ownerSVGElement;
    for (let n = 3; n <= 24; n += 3) {
      for (let i = 1; i < n; i++) {
        for (let j = 1; j < n; j++) {
          const x = box.x + (box.width * i) / n;
          const y = box.y + (box.height * j) / n;
          const q = svg.createSVGPoint();
          q.x = x;
          q.y = y;
          if (!p.isPointInFill(q)) continue;
          const s = q.matrixTransform(ctm);
          const hit = document.elementFromPoint(s.x, s.y);
          if (hit === p || p.contains(hit)) return { x: s.x, y: s.y };
        }
      }
    }
    return null;
  });
  expect(pt, `found no visible point inside ${selector}`);
  return pt;
}

const hl = (page, code) =>
  page.evaluate(
    ({ T, code }) => {
      const t = document.querySelector(T);
      const q = (s) => !!t.querySelector(s);
      return {
        map: q(`figure.map [data-area="${code}"].is-hl`),
        chart: q(`figure.chart [data-area="${code}"].is-hl`),
        table: q(`table.data tr[data-area="${code}"].is-hl`),
        others: [...t.querySelectorAll('.is-hl[data-area]')].map((e) => e.dataset.area).filter((c) => c !== code),
      };
    },
    { T: TRIPTYCH, code },
  );

const sel = (page, code) =>
  page.evaluate(
    ({ T, code }) => {
      const t = document.querySelector(T);
      const q = (s) => !!t.querySelector(s);
      return {
        map: q(`figure.map [data-area="${code}"].is-sel`),
        chart: q(`figure.chart [data-area="${code}"].is-sel`),
        table: q(`table.data tr[data-area="${code}"].is-sel`),
      };
    },
    { T: TRIPTYCH, code },
  );

async function expectAllThree(page, fn, code, what) {
  let last;
  for (let i = 0; i < 40; i++) {
    try {
      last = await fn(page, code);
    } catch (e) {
      // A click that navigates (server-side selection) destroys the context: wait and retry.
      if (!/context was destroyed|navigation/i.test(e.message)) throw e;
      await page.waitForLoadState('load');
      last = { map: false, chart: false, table: false };
      continue;
    }
    if (last.map && last.chart && last.table) return last;
    await page.waitForTimeout(50);
  }
  throw new Error(`${what} area ${code}: map ${last.map}, chart bar ${last.chart}, table row ${last.table} (all three expected)`);
}

/** The share link's URL (a.share href or input.share-url value), absolute. */
async function shareUrl(page) {
  const s = await page.evaluate(() => {
    const a = document.querySelector('a.share');
    const i = document.querySelector('input.share-url');
    return i?.value || a?.href || null;
  });
  expect(s, 'no share link (a.share or input.share-url)');
  return new URL(s, BASE);
}

const query = (page) => new URL(page.url()).searchParams;

/** The areas of a `select` parameter, given as a comma list or repeated. */
const selectedIn = (u) => u.searchParams.getAll('select').flatMap((s) => s.split(',')).filter(Boolean);

// ---------------------------------------------------------------------------------------
// Every page: language, skip link, main landmark, header with site name, search, languages.

const PAGE_TYPES = [
  ['home', '/'],
  ['themes', '/themes'],
  ['theme', `/themes/${(F.themes.find((t) => t.children?.length) || F.themes[0]).code}`],
  ['search', '/search?q=inwoner'],
  ['indicator', `/indicator/${IND}?level=${LVL}`],
  ['area', `/area/${LVL}/${A.code}`],
  ['compare', `/compare?level=${LVL}&areas=${A.code},${A2.code}&indicators=${IND}`],
  ['explorer', `/explorer?indicators=${IND}&level=${LVL}&view=table`],
];

for (const [lang, prefix] of [
  ['nl', ''],
  ['en', '/en'],
  ['fr', '/fr'],
]) {
  check(`every page type has the common frame (${lang})`, (browser) =>
    withPage(browser, {}, async (page) => {
      const problems = [];
      for (const [name, path] of PAGE_TYPES) {
        await open(page, prefix + path);
        const p = await page.evaluate(() => {
          const $ = (s) => document.querySelector(s);
          const skip = $('a.skip');
          return {
            lang: document.documentElement.lang,
            title: document.title.trim(),
            viewport: !!$('meta[name=viewport]'),
            skip: skip?.getAttribute('href'),
            main: !!$('main#main'),
            siteName: $('header .site-name')?.textContent.trim() || $('.site-name')?.textContent.trim(),
            search: !!$('form[role=search] input[name=q]'),
            searchAction: $('form[role=search]')?.getAttribute('action'),
            searchMethod: ($('form[role=search]')?.getAttribute('method') || 'get').toLowerCase(),
            langs: [...document.querySelectorAll('nav.langs a[hreflang]')].map((a) => a.getAttribute('hreflang')),
            h1: document.querySelectorAll('h1').length,
          };
        });
        const want = (cond, msg) => cond || problems.push(`${name} ${prefix + path}: ${msg}`);
        want(p.lang === lang, `<html lang="${p.lang}">, expected "${lang}"`);
        want(p.title, 'empty <title>');
        want(p.viewport, 'no <meta name=viewport>');
        want(p.skip === '#main', `skip link a.skip href=${p.skip}, expected #main`);
        want(p.main, 'no <main id="main">');
        want(p.siteName, 'no .site-name in the header');
        want(p.search, 'no form[role=search] with input[name=q]');
        want(p.searchAction && new URL(p.searchAction, BASE).pathname === `${prefix}/search`, `search form action ${p.searchAction}, expected ${prefix}/search`);
        want(p.searchMethod === 'get', `search form method ${p.searchMethod}`);
        for (const l of ['nl', 'en', 'fr']) {
          // The current language may be shown as text instead of a link; the others must link.
          want(l === lang || p.langs.includes(l), `nav.langs has no a[hreflang=${l}] (has ${p.langs.join(',')})`);
        }
        want(p.h1 === 1, `${p.h1} <h1> elements, expected 1`);
      }
      expect(problems.length === 0, problems.join('\n'));
    }),
  );
}

check('the skip link is the first Tab stop, visible when focused, and leads to main', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, '/');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => ({
      cls: document.activeElement?.className,
      href: document.activeElement?.getAttribute('href'),
    }));
    expect(/\bskip\b/.test(focused.cls || '') && focused.href === '#main', `first Tab focuses ${JSON.stringify(focused)}, expected a.skip`);
    const box = await page.locator('a.skip').boundingBox();
    expect(box && box.width > 1 && box.height > 1 && box.y >= 0 && box.x >= 0, `focused skip link is not visible: ${JSON.stringify(box)}`);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash === '#main');
  }),
);

// ---------------------------------------------------------------------------------------
// Home, themes and search.

check('home: theme tiles and highlighted figures; a tile opens its theme', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, '/');
    const tiles = await page.$$eval('.theme-tiles a', (as) => as.map((a) => ({ href: a.getAttribute('href'), text: a.textContent.trim() })));
    expect(tiles.length >= 3, `only ${tiles.length} theme tiles (.theme-tiles a)`);
    for (const t of tiles) expect(t.text, `a theme tile without text: ${t.href}`);
    expect(await page.locator('.highlights').isVisible(), '.highlights is not visible');
    const hText = await page.locator('.highlights').innerText();
    expect(/\d/.test(hText), `.highlights shows no figures: ${hText.slice(0, 200)}`);
    await Promise.all([page.waitForURL(/\/themes\/|\/indicator\//), page.locator('.theme-tiles a').first().click()]);
    expect(await page.locator('main#main').count(), 'the theme page has no main');
  }),
);

check('themes: the tree lists every theme of the API and links themes and indicators', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, '/themes');
    const links = await page.$$eval('main ul a[href]', (as) => as.map((a) => new URL(a.getAttribute('href'), document.baseURI).pathname));
    const nested = await page.locator('main ul ul').count();
    expect(nested > 0, 'the theme tree has no nested lists (main ul ul)');
    const missing = [];
    const walk = (ts) => ts.forEach((t) => (links.includes(`/themes/${t.code}`) || missing.push(t.code), walk(t.children || [])));
    walk(F.themes);
    expect(missing.length === 0, `themes not linked from /themes: ${missing.join(', ')}`);
    expect(links.includes(`/indicator/${IND}`), `/themes does not link /indicator/${IND}`);
    // A theme page lists its indicators.
    const t = F.themes.find((x) => x.indicators?.includes(IND)) || F.themes[0];
    await Promise.all([page.waitForURL(`**/themes/${t.code}`), page.locator(`main a[href$="/themes/${t.code}"]`).first().click()]);
    const inds = await page.$$eval('main a[href]', (as) => as.map((a) => new URL(a.getAttribute('href'), document.baseURI).pathname));
    for (const code of t.indicators || []) expect(inds.includes(`/indicator/${code}`), `/themes/${t.code} does not link /indicator/${code}`);
  }),
);

check('search from the header finds the indicator ("inwoner" → Inwoners) and opens it', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, '/');
    await page.fill('form[role=search] input[name=q]', 'inwoner');
    await Promise.all([page.waitForURL(/\/search\?q=inwoner/), page.press('form[role=search] input[name=q]', 'Enter')]);
    const results = await page.$$eval('ol.results li a', (as) => as.map((a) => ({ path: new URL(a.getAttribute('href'), document.baseURI).pathname, text: a.textContent.trim() })));
    expect(results.length > 0, 'no search results (ol.results li a)');
    const hit = results.find((r) => r.path === `/indicator/${IND}`);
    expect(hit, `"inwoner" did not find /indicator/${IND}; results: ${results.map((r) => r.path).join(', ')}`);
    expect(hit.text.includes(F.indicatorName), `the result for ${IND} reads "${hit.text}", expected "${F.indicatorName}"`);
    const boxes = await page.$$eval('input[name=q]', (is) => is.map((i) => i.value));
    expect(boxes.includes('inwoner'), `no search box on the results page shows the query (values: ${JSON.stringify(boxes)})`);
    await Promise.all([page.waitForURL(`**/indicator/${IND}**`), page.locator(`ol.results li a[href*="/indicator/${IND}"]`).first().click()]);
    await page.locator(MAP_PATHS).first().waitFor();
  }),
);

check('search finds areas by name and links their profile', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, `/search?q=${encodeURIComponent(A.short_name || A.name)}`);
    const paths = await page.$$eval('ol.results li a', (as) => as.map((a) => new URL(a.getAttribute('href'), document.baseURI).pathname));
    expect(paths.includes(`/area/${LVL}/${A.code}`), `searching "${A.short_name}" did not link /area/${LVL}/${A.code}; got ${paths.join(', ')}`);
  }),
);

check('search with no match says so (and answers 200)', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, '/search?q=zzzqqqxxyy');
    expect((await page.locator('ol.results li').count()) === 0, 'results for nonsense');
    expect((await page.locator('main').innerText()).trim().length > 0, 'empty main for no results');
  }),
);

// ---------------------------------------------------------------------------------------
// The indicator page: triptych, highlighting, selection, controls, downloads.

check('indicator: the triptych shows the same areas in map, chart and table', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, `/indicator/${IND}?level=${LVL}`);
    const mapCodes = await page.$$eval(MAP_PATHS, (ps) => ps.map((p) => p.dataset.area));
    const barCodes = await page.$$eval(BARS, (ps) => ps.map((p) => p.dataset.area));
    const rowCodes = await page.$$eval(ROWS, (ps) => ps.map((p) => p.dataset.area));
    expect(mapCodes.length > 0, `no map areas (${MAP_PATHS})`);
    expect(barCodes.length > 0, `no chart bars (${BARS})`);
    expect(rowCodes.length > 0, `no table rows (${ROWS})`);
    const notInTable = [...new Set([...mapCodes, ...barCodes])].filter((c) => !rowCodes.includes(c));
    expect(notInTable.length === 0, `map/chart areas missing from the table: ${notInTable.join(', ')}`);
    expect(mapCodes.includes(A.code) && rowCodes.includes(A.code), `${A.code} is not on the map and in the table`);
    const h1 = await page.locator('h1').innerText();
    expect(h1.includes(F.indicatorName), `h1 "${h1}" does not name the indicator "${F.indicatorName}"`);
    await expectTableMatchesApi(page, LVL, query(page).get('period') || F.latest);
    const meta = await page.locator('.metadata').innerText();
    expect(/Rijksregister/.test(meta), `.metadata does not give the source (Rijksregister): ${meta.slice(0, 300)}`);
    // Every map area has an accessible name (title or aria-label) for screen readers and tooltips.
    const unnamed = await page.$$eval(MAP_PATHS, (ps) =>
      ps.filter((p) => !p.getAttribute('aria-label') && !p.querySelector('title') && !p.closest('a')?.getAttribute('aria-label')).map((p) => p.dataset.area),
    );
    expect(unnamed.length === 0, `map areas without a title or aria-label: ${unnamed.slice(0, 10).join(', ')}`);
  }),
);

check('indicator: hovering a map area highlights its table row and chart bar (and back)', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, `/indicator/${IND}?level=${LVL}`);
    const pt = await pointInside(page, `${MAP_PATHS.replace('[data-area]', `[data-area="${A.code}"]`)}`);
    await page.mouse.move(pt.x, pt.y);
    const h = await expectAllThree(page, hl, A.code, 'hovering the map highlights (is-hl)');
    expect(h.others.length === 0, `hovering ${A.code} also highlights ${[...new Set(h.others)].join(', ')}`);
    await page.mouse.move(1, 1);
    await page.waitForTimeout(100);
    const after = await hl(page, A.code);
    expect(!after.map && !after.chart && !after.table, `the highlight stays after the mouse leaves: ${JSON.stringify(after)}`);
    // Hovering the table row highlights the map area and bar.
    await page.locator(`${ROWS.replace('[data-area]', `[data-area="${A2.code}"]`)}`).hover();
    await expectAllThree(page, hl, A2.code, 'hovering a table row highlights (is-hl)');
    // Hovering a bar highlights the map area and the row.
    await page.mouse.move(1, 1);
    await page.locator(`${BARS.replace('[data-area]', `[data-area="${A.code}"]`)}`).hover({ force: true });
    await expectAllThree(page, hl, A.code, 'hovering a chart bar highlights (is-hl)');
  }),
);

check('indicator: keyboard focus in the table highlights like hovering', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, `/indicator/${IND}?level=${LVL}`);
    const target = `${ROWS.replace('[data-area]', `[data-area="${A2.code}"]`)} a, ${ROWS.replace('[data-area]', `[data-area="${A2.code}"]`)} button`;
    const n = await page.locator(target).count();
    expect(n > 0, `the table row of ${A2.code} has nothing focusable (a link to the area or a button)`);
    await page.locator(target).first().focus();
    await expectAllThree(page, hl, A2.code, 'focusing the table row highlights (is-hl)');
  }),
);

check('indicator: clicking a map area selects it everywhere and puts it in the share URL', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, `/indicator/${IND}?level=${LVL}`);
    const pt = await pointInside(page, `${MAP_PATHS.replace('[data-area]', `[data-area="${A.code}"]`)}`);
    const before = page.url();
    await page.mouse.click(pt.x, pt.y);
    await expectAllThree(page, sel, A.code, 'clicking the map selects (is-sel)');
    expect(page.url() === before || selectedIn(new URL(page.url())).includes(A.code), `clicking navigated to ${page.url()}`);
    let share = await shareUrl(page);
    expect(selectedIn(share).includes(A.code), `share URL ${share} has no select=${A.code}`);
    // A second area joins the selection.
    // (the row's own selection link, a.pick, named "Selecteer …").
    const row2 = page.locator(`${ROWS.replace('[data-area]', `[data-area="${A2.code}"]`)}`);
    const toggle = row2.locator('a.pick');
    await Promise.all([
      page.waitForURL((u) => selectedIn(u).includes(A2.code), { timeout: 3000 }).catch(() => {}),
      (await toggle.count()) ? toggle.first().click() : row2.click({ position: { x: 5, y: 5 } }),
    ]);
    await expectAllThree(page, sel, A2.code, 'clicking a table row selects (is-sel)');
    share = await shareUrl(page);
    const s = selectedIn(share);
    expect(s.includes(A.code) && s.includes(A2.code), `share URL ${share} should select ${A.code} and ${A2.code}`);
    // The share URL restores the selection.
    await page.goto(share.href);
    await expectAllThree(page, sel, A.code, 'the share URL restores the selection (is-sel)');
    await expectAllThree(page, sel, A2.code, 'the share URL restores the selection (is-sel)');
  }),
);

check('indicator: the share box holds a complete link (with host) to this view', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, `/indicator/${IND}?level=${F.otherLevel}&period=${OLD}`);
    const box = page.locator('input.share-url');
    expect((await box.count()) >= 1, 'no input.share-url');
    const v = await box.first().inputValue();
    // Pasted into a mail or chat, a path without host leads nowhere.
    expect(/^https?:\/\/[^/]+\//.test(v), `input.share-url holds "${v}", not a full URL with scheme and host`);
    const u = new URL(v);
    expect(u.pathname === `/indicator/${IND}` && u.searchParams.get('level') === F.otherLevel && u.searchParams.get('period') === OLD, `the share URL ${v} is not this view`);
  }),
);

check('indicator: the controls switch period and level (JavaScript on)', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, `/indicator/${IND}?level=${LVL}`);
    const periods = await page.$$eval('form.controls select[name=period] option', (os) => os.map((o) => o.value));
    for (const p of F.periods) expect(periods.includes(p), `select[name=period] lacks ${p} (has ${periods.join(',')})`);
    const levels = await page.$$eval('form.controls select[name=level] option', (os) => os.map((o) => o.value));
    expect(levels.includes(LVL) && levels.includes(F.otherLevel), `select[name=level] offers ${levels.join(',')}`);
    expect(await page.locator('form.controls select[name=level]').inputValue() === LVL, 'the level select does not show the current level');

    await Promise.all([page.waitForURL((u) => u.searchParams.get('period') === OLD), page.selectOption('form.controls select[name=period]', OLD)]);
    await page.locator(ROWS).first().waitFor();
    await expectTableMatchesApi(page, LVL, OLD);
    expect(await page.locator('form.controls select[name=period]').inputValue() === OLD, 'the period select does not show the chosen period');

    await Promise.all([page.waitForURL((u) => u.searchParams.get('level') === F.otherLevel), page.selectOption('form.controls select[name=level]', F.otherLevel)]);
    await page.locator(ROWS).first().waitFor();
    const q = query(page);
    await expectTableMatchesApi(page, F.otherLevel, q.get('period') || F.latest);
    expect((await page.locator(MAP_PATHS).count()) >= 5, 'the district map has fewer than 5 areas');
  }),
);

check('indicator: the time slider steps through the periods', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, `/indicator/${IND}?level=${LVL}&period=${F.latest}`);
    const slider = page.locator('form.controls input[type=range][name=period_i]');
    expect((await slider.count()) === 1, 'no time slider input[type=range][name=period_i]');
    const [min, max, value] = await slider.evaluate((s) => [s.min, s.max, s.value].map(Number));
    expect(max - min + 1 === F.periods.length, `slider range ${min}..${max} for ${F.periods.length} periods`);
    expect(value === max, `slider at ${value}, expected ${max} for the latest period`);
    const prev = F.periods[F.periods.length - 2];
    await slider.focus();
    await Promise.all([page.waitForURL((u) => u.searchParams.get('period') === prev || u.searchParams.get('period_i') === String(max - 1)), page.keyboard.press('ArrowLeft')]);
    await page.locator(ROWS).first().waitFor();
    await expectTableMatchesApi(page, LVL, prev);
  }),
);

check('indicator: every classification method renders and is kept in the URL', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, `/indicator/${IND}?level=${LVL}`);
    const classes = await page.$$eval('form.controls select[name=class] option', (os) => os.map((o) => o.value));
    for (const c of ['stddev', 'quantiles', 'equal', 'jenks']) expect(classes.includes(c), `select[name=class] lacks ${c} (has ${classes.join(',')})`);
    const fills = {};
    for (const c of ['quantiles', 'equal', 'jenks', 'stddev']) {
      if ((await page.locator('form.controls select[name=class]').inputValue()) !== c) {
        await Promise.all([page.waitForURL((u) => u.searchParams.get('class') === c), page.selectOption('form.controls select[name=class]', c)]);
      }
      await page.locator(MAP_PATHS).first().waitFor();
      fills[c] = await page.$$eval(MAP_PATHS, (ps) => ps.map((p) => getComputedStyle(p).fill).join('|'));
      const distinct = new Set(fills[c].split('|')).size;
      expect(distinct >= 2, `class=${c}: the map uses ${distinct} colour(s)`);
    }
    expect(new Set(Object.values(fills)).size >= 2, 'all classification methods colour the map identically');
  }),
);

check('indicator: the table sorts by value and has a rank column', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, `/indicator/${IND}?level=${LVL}&period=${F.latest}`);
    const api = await apiValues(IND, LVL, F.latest);
    // The value column first: sorting by rank also orders by value.
    const buttons = (await page.$$eval(`${TRIPTYCH} table.data th button[data-sort]`, (bs) => bs.map((b) => b.dataset.sort))).sort(
      (a, b) => (b === 'value') - (a === 'value'),
    );
    expect(buttons.length >= 2, `sort buttons: ${buttons.join(',') || 'none'} (th button[data-sort])`);
    const headers = await page.$$eval(`${TRIPTYCH} table.data thead th`, (ths) => ths.map((t) => t.textContent.trim()));
    expect(headers.some((h) => /^(#|rang|rank|positie)/i.test(h)), `no rank column among ${JSON.stringify(headers)}`);
    const order = async () => (await page.$$eval(ROWS, (trs) => trs.map((t) => t.dataset.area))).map((c) => api.get(c)).filter((v) => v != null);
    const mono = (vs, dir) => vs.every((v, i) => i === 0 || (dir > 0 ? vs[i - 1] <= v : vs[i - 1] >= v));
    let sortedBy = null;
    for (const key of buttons) {
      const b = page.locator(`${TRIPTYCH} table.data th button[data-sort="${key}"]`);
      await b.click();
      const first = await order();
      await b.click();
      const second = await order();
      if ((mono(first, 1) && mono(second, -1)) || (mono(first, -1) && mono(second, 1))) {
        sortedBy = key;
        const aria = await b.evaluate((x) => x.closest('th').getAttribute('aria-sort'));
        expect(aria === 'ascending' || aria === 'descending', `the sorted column's th has aria-sort=${aria}`);
        break;
      }
    }
    expect(sortedBy, `no sort button orders the rows by value, ascending then descending (buttons: ${buttons.join(',')})`);
  }),
);

function numberOf(cell) {
  const s = cell.trim().replace(/[\s\u00a0\u202f]/g, '');
  if (s === '') return null;
  // 1.234,5 or 1234,5 (Dutch) or 1234.5
  if (/^-?\d{1,3}(\.\d{3})+(,\d+)?$/.test(s) || /^-?\d+,\d+$/.test(s)) return Number(s.replace(/\./g, '').replace(',', '.'));
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/** Compares a downloaded CSV with the API, area by area, whatever the column names. */
async function expectCsvMatchesApi(text, indicator, level, period, decimals) {
  const api = await apiValues(indicator, level, period);
  const rows = csvObjects(text);
  expect(rows.length > 0, `empty CSV download:\n${text.slice(0, 300)}`);
  const cols = Object.keys(rows[0]);
  const codeCol = cols.find((c) => rows.filter((r) => api.has(r[c])).length >= api.size - 1);
  expect(codeCol, `no column of area codes in the CSV (columns: ${cols.join(', ')})`);
  const tol = decimals == null ? 1e-9 : 0.5 * 10 ** -decimals + 1e-9;
  const valueCol = cols.find((c) =>
    rows.every((r) => {
      const want = api.get(r[codeCol]);
      const got = numberOf(r[c] ?? '');
      return want == null || (got != null && Math.abs(got - want) <= tol);
    }),
  );
  expect(valueCol, `no CSV column holds the API's values for ${indicator} ${level} ${period} (columns: ${cols.join(', ')}); first rows:\n${text.split('\n').slice(0, 4).join('\n')}`);
  // Areas without a value (status only, e.g. "nvt" for an area without location) may be left out.
  const missing = [...api.keys()].filter((c) => api.get(c) != null && !rows.some((r) => r[codeCol] === c));
  expect(missing.length === 0, `CSV lacks areas the API has values for: ${missing.join(', ')}`);
}

check('indicator: the CSV download is the data of the page and matches the API', (browser) =>
  withPage(browser, { acceptDownloads: true }, async (page) => {
    for (const [ind, period] of [
      [IND, OLD],
      ['v_dichtheid', F.latest],
    ]) {
      await open(page, `/indicator/${ind}?level=${LVL}&period=${period}`);
      const a = page.locator('a[data-download=csv]');
      expect((await a.count()) >= 1, 'no CSV download link a[data-download=csv]');
      const href = new URL(await a.first().getAttribute('href'), BASE);
      expect(href.searchParams.get('period') === period && href.searchParams.get('level') === LVL, `the CSV link ${href.pathname}${href.search} is not for level=${LVL}&period=${period}`);
      const [dl] = await Promise.all([page.waitForEvent('download'), a.first().click()]);
      const text = readFileSync(await dl.path(), 'utf8');
      const decimals = (await get(`/api/v1/indicators/${ind}`)).json().decimals;
      await expectCsvMatchesApi(text, ind, LVL, period, decimals);
      expect(/\.csv$/i.test(dl.suggestedFilename()), `the download is named ${dl.suggestedFilename()}`);
    }
  }),
);

check('indicator: XLSX, PNG and SVG downloads are what they say', (browser) =>
  withPage(browser, { acceptDownloads: true }, async (page) => {
    await open(page, `/indicator/${IND}?level=${LVL}&period=${F.latest}`);
    const magic = {
      xlsx: (b) => b.subarray(0, 2).toString() === 'PK',
      png: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
      svg: (b) => /<svg[\s>]/.test(b.toString('utf8', 0, 2000)),
    };
    for (const kind of Object.keys(magic)) {
      const a = page.locator(`a[data-download=${kind}]`);
      expect((await a.count()) >= 1, `no download link a[data-download=${kind}]`);
      const [dl] = await Promise.all([page.waitForEvent('download'), a.first().click()]);
      const failure = await dl.failure();
      expect(!failure, `${kind} download failed: ${failure}`);
      const bytes = readFileSync(await dl.path());
      expect(bytes.length > 100 && magic[kind](bytes), `the ${kind} download (${dl.suggestedFilename()}, ${bytes.length} bytes) is not ${kind}`);
    }
  }),
);

check('indicator: the language switch keeps the page and its state', (browser) =>
  withPage(browser, {}, async (page) => {
    const path = `/indicator/${IND}?level=${F.otherLevel}&period=${OLD}`;
    await open(page, path);
    const en = page.locator('nav.langs a[hreflang=en]');
    const href = new URL(await en.getAttribute('href'), BASE);
    expect(href.pathname === `/en/indicator/${IND}`, `the English link goes to ${href.pathname}`);
    expect(href.searchParams.get('level') === F.otherLevel && href.searchParams.get('period') === OLD, `the English link drops the state: ${href.search}`);
    await Promise.all([page.waitForURL(`**/en/indicator/${IND}**`), en.click()]);
    expect((await page.getAttribute('html', 'lang')) === 'en', 'the English page is not lang=en');
    const h1 = await page.locator('h1').innerText();
    expect(h1.includes(F.indicatorNameEn), `English h1 "${h1}", expected "${F.indicatorNameEn}"`);
    const nl = new URL(await page.locator('nav.langs a[hreflang=nl]').getAttribute('href'), BASE);
    expect(nl.pathname === `/indicator/${IND}`, `the Dutch link from English goes to ${nl.pathname}`);
  }),
);

check('indicator: an unknown indicator answers 404 with the site frame', (browser) =>
  withPage(browser, {}, async (page, ctx) => {
    ctx.expectError(url('/indicator/bestaat_niet'));
    await open(page, '/indicator/bestaat_niet', 404);
    expect(await page.locator('main#main').count(), 'the 404 page has no main');
    expect(await page.locator('form[role=search]').count(), 'the 404 page has no search form');
  }),
);

// ---------------------------------------------------------------------------------------
// Area profile, compare, explorer, embed.

check('area profile: ring, key figures, locator map and sparklines', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, `/area/${LVL}/${A.code}`);
    const h1 = await page.locator('h1').innerText();
    expect(h1.includes(A.short_name || A.name), `h1 "${h1}" does not name ${A.name}`);
    expect((await page.locator('figure.profile-ring svg').count()) >= 1, 'no figure.profile-ring svg');
    const rows = await page.locator('table.key-figures tbody tr').count();
    expect(rows >= 3, `table.key-figures has ${rows} rows`);
    const keyText = (await page.$$eval('table.key-figures', (ts) => ts.map((t) => t.innerText))).join('\n');
    const pop = (await apiValues(IND, LVL, F.latest)).get(A.code);
    expect(keyText.includes(F.indicatorName) && digits(keyText).includes(String(pop)), `table.key-figures does not show ${F.indicatorName} = ${pop}`);
    expect((await page.locator('figure.locator svg path').count()) >= 1, 'no figure.locator svg with areas');
    const spark = await page.locator('svg.sparkline, .sparkline svg, svg.spark, .spark svg').count();
    expect(spark >= 1, 'no sparklines (svg.spark, .spark svg, svg.sparkline or .sparkline svg)');
    // The profile links the indicator pages of its figures.
    expect((await page.locator(`main a[href*="/indicator/${IND}"]`).count()) >= 1, `the profile does not link /indicator/${IND}`);
  }),
);

check('compare: two areas side by side', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, `/compare?level=${LVL}&areas=${A.code},${A2.code}&indicators=${IND}`);
    const t = await page.locator('table.compare').innerText();
    for (const a of [A, A2]) expect(t.includes(a.short_name || a.name), `table.compare does not name ${a.name}`);
    expect(t.includes(F.indicatorName), `table.compare does not name ${F.indicatorName}`);
    const api = await apiValues(IND, LVL, F.latest);
    for (const a of [A, A2]) expect(digits(t).includes(String(api.get(a.code))), `table.compare lacks ${a.code}'s value ${api.get(a.code)}`);
  }),
);

check('explorer: table, map and chart views', (browser) =>
  withPage(browser, {}, async (page) => {
    const base = `/explorer?indicators=${IND}&level=${LVL}&areas=${A.code},${A2.code}&periods=${OLD},${F.latest}`;
    await open(page, `${base}&view=table`);
    const t = await page.locator('main table').first().innerText();
    const api = await apiValues(IND, LVL, OLD);
    expect(digits(t).includes(String(api.get(A.code))), `the explorer table lacks ${A.code} in ${OLD} (${api.get(A.code)})`);
    await open(page, `${base}&view=map`);
    expect((await page.locator('main svg path[data-area]').count()) >= 2, 'the explorer map view has no areas (main svg path[data-area])');
    await open(page, `${base}&view=chart`);
    expect((await page.locator('main svg [data-area]').count()) >= 2, 'the explorer chart view has no marks with data-area');
  }),
);

/** A web server on another port whose page embeds `?src=` in an iframe. */
async function startEmbedder() {
  const server = createServer((req, res) => {
    const src = new URL(req.url, 'http://x').searchParams.get('src') || '';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><title>embedder</title><iframe title="peil" src="${src.replace(/"/g, '&quot;')}" width="600" height="450"></iframe></html>`);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

check('embed: map, chart and table render inside an iframe on another origin', async (browser) => {
  const embedder = await startEmbedder();
  try {
    await embed(browser, embedder);
  } finally {
    embedder.server.close();
  }
});

const embed = (browser, embedder) =>
  withPage(browser, {}, async (page) => {
    await page.route(`${embedder.origin}/**`, (r) => r.continue()); // allowed: the test's own page
    for (const [kind, sel] of [
      ['map', 'svg path[data-area]'],
      ['chart', 'svg [data-area]'],
      ['table', 'table tr[data-area]'],
    ]) {
      const path = `/embed/indicator/${IND}/${kind}`;
      const r = await get(path);
      expect(r.status === 200, `${path} answered ${r.status}`);
      const xfo = (r.headers.get('x-frame-options') || '').toLowerCase();
      const fa = /frame-ancestors[^;]*/i.exec(r.headers.get('content-security-policy') || '')?.[0] || '';
      expect(!xfo && !/'none'|'self'/.test(fa), `${path} forbids framing: X-Frame-Options "${xfo}", CSP "${fa}"`);
      // A page of another site (another origin: a server of this script on another port).
      await page.goto(`${embedder.origin}/?src=${encodeURIComponent(url(path))}`);
      const frame = await (await page.$('iframe')).contentFrame();
      expect(frame, `${path}: the iframe has no document`);
      await frame.waitForLoadState('load');
      await frame.locator(sel).first().waitFor({ state: 'attached' });
      expect((await frame.locator('form[role=search]').count()) === 0, `${path} carries the site's search form: not minimal`);
      const link = await frame.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href')));
      expect(link.some((h) => h.includes(`/indicator/${IND}`)), `${path} does not link back to the indicator page`);
    }
  });

// ---------------------------------------------------------------------------------------
// Without JavaScript: the server-rendered page does everything.

check('without JavaScript: the triptych renders and the controls form submits', (browser) =>
  withPage(browser, { javaScriptEnabled: false }, async (page) => {
    await open(page, `/indicator/${IND}?level=${LVL}`);
    for (const s of [MAP_PATHS, BARS, ROWS]) expect((await page.locator(s).count()) > 0, `without JS nothing matches ${s}`);
    const submit = page.locator('form.controls button[type=submit]');
    expect(await submit.isVisible(), 'without JS the controls submit button is not visible');
    await page.selectOption('form.controls select[name=period]', OLD);
    await Promise.all([page.waitForURL((u) => u.searchParams.get('period') === OLD), submit.click()]);
    await expectTableMatchesApi(page, LVL, OLD);
    await page.selectOption('form.controls select[name=level]', F.otherLevel);
    await Promise.all([page.waitForURL((u) => u.searchParams.get('level') === F.otherLevel), page.locator('form.controls button[type=submit]').click()]);
    await expectTableMatchesApi(page, F.otherLevel, query(page).get('period') || F.latest);
    // The CSV link is a plain link that works without scripts.
    const href = await page.locator('a[data-download=csv]').first().getAttribute('href');
    const r = await get(new URL(href, BASE).pathname + new URL(href, BASE).search);
    expect(r.status === 200, `CSV link ${href} answered ${r.status}`);
  }),
);

check('without JavaScript: search, theme links and the area profile work', (browser) =>
  withPage(browser, { javaScriptEnabled: false }, async (page) => {
    await open(page, '/');
    await page.fill('form[role=search] input[name=q]', 'inwoner');
    await Promise.all([page.waitForURL(/\/search\?q=inwoner/), page.press('form[role=search] input[name=q]', 'Enter')]);
    expect((await page.locator(`ol.results li a[href*="/indicator/${IND}"]`).count()) >= 1, 'no-JS search does not find the indicator');
    await open(page, '/');
    await Promise.all([page.waitForURL(/\/themes\/|\/indicator\//), page.locator('.theme-tiles a').first().click()]);
    await open(page, `/area/${LVL}/${A.code}`);
    expect((await page.locator('figure.profile-ring svg').count()) >= 1, 'no-JS area profile has no ring');
    expect((await page.locator('table.key-figures tbody tr').count()) >= 1, 'no-JS area profile has no key figures');
  }),
);

// ---------------------------------------------------------------------------------------
// Links, assets, layout at phone and desktop widths.

check('every internal link on the main pages answers 200', (browser) =>
  withPage(browser, {}, async (page) => {
    const seen = new Set();
    // The handbook's tables of contents link every chapter and section in each language.
    for (const path of [...PAGE_TYPES.map(([, p]) => p), '/handleiding', '/en/manual', '/fr/manuel']) {
      await open(page, path);
      // (SVG links too: their href is not a string property.)
      const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => new URL(a.getAttribute('href'), document.baseURI).href));
      for (const h of hrefs) {
        const u = new URL(h);
        if (u.host !== BASE_HOST) throw new Error(`${path} links to another site: ${h} (the site must work air-gapped)`);
        u.hash = '';
        seen.add(u.pathname + u.search);
      }
    }
    const list = [...seen].slice(0, 600);
    const bad = [];
    for (let i = 0; i < list.length; i += 6) {
      const res = await Promise.all(list.slice(i, i + 6).map(async (p) => [p, (await fetch(url(p), { redirect: 'follow' })).status]));
      for (const [p, s] of res) if (s !== 200) bad.push(`${s} ${p}`);
    }
    console.log(`        ${list.length} distinct internal links checked`);
    expect(bad.length === 0, `broken links (of ${list.length}):\n  ${bad.join('\n  ')}`);
  }),
);

check('static assets: peil.js < 30 KB gzipped, peil.css served', async () => {
  const js = await fetch(url('/static/peil.js'));
  expect(js.status === 200, `/static/peil.js answered ${js.status}`);
  const body = Buffer.from(await js.arrayBuffer());
  const gz = gzipSync(body, { level: 9 }).length;
  console.log(`        peil.js: ${body.length} bytes, ${gz} gzipped`);
  expect(gz < 30 * 1024, `/static/peil.js is ${gz} bytes gzipped (limit 30 KB)`);
  const css = await fetch(url('/static/peil.css'));
  expect(css.status === 200 && /text\/css/.test(css.headers.get('content-type')), `/static/peil.css answered ${css.status} ${css.headers.get('content-type')}`);
});

const SHOT_PAGES = [
  ['home', '/'],
  ['indicator', `/indicator/${IND}?level=${LVL}`],
  ['area', `/area/${LVL}/${A.code}`],
  ['search', '/search?q=inwoner'],
  ['themes', '/themes'],
  ['compare', `/compare?level=${LVL}&areas=${A.code},${A2.code}&indicators=${IND}`],
  ['explorer', `/explorer?indicators=${IND}&level=${LVL}&view=map`],
];

for (const [vp, viewport] of [
  ['phone', PHONE],
  ['desktop', DESKTOP],
]) {
  check(`screenshots at ${vp} width (${viewport.width}×${viewport.height}), no sideways scrolling`, (browser) =>
    withPage(browser, { viewport, deviceScaleFactor: 1, isMobile: vp === 'phone', hasTouch: vp === 'phone' }, async (page) => {
      const wide = [];
      for (const [name, path] of SHOT_PAGES) {
        await open(page, path);
        await page.screenshot({ path: join(SHOTS, `${name}-${vp}.png`), fullPage: true });
        const w = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        if (w[0] > w[1] + 1) wide.push(`${name} (${path}): page is ${w[0]}px wide in a ${w[1]}px window`);
      }
      expect(wide.length === 0, `pages scroll sideways at ${vp} width:\n  ${wide.join('\n  ')}`);
    }),
  );
}

check('dashboard: the picker switches area (Swing URL parameters) and a tile opens its detail view', (browser) =>
  withPage(browser, {}, async (page) => {
    await open(page, '/dashboards/bevolking');
    const tiles = await page.locator('ul.dash-grid > li.tile').count();
    expect(tiles >= 6, `only ${tiles} dashboard tiles`);
    const heading = await page.locator('main h1').innerText();
    const select = page.locator('form.picker select[name="regioncode"]');
    const options = await select.locator('option').evaluateAll((os) => os.map((o) => ({ v: o.value, t: o.textContent.trim(), s: o.selected })));
    const other = options.find((o) => !o.s);
    expect(other, 'the picker offers no other area');
    // With JavaScript the choice applies at once; the URL carries Swing's parameters.
    await Promise.all([page.waitForURL(new RegExp(`regioncode=${other.v}`)), select.selectOption(other.v)]);
    expect(page.url().includes('regionlevel=wijk'), `no regionlevel in ${page.url()}`);
    const after = await page.locator('main h1').innerText();
    expect(after !== heading && after.includes(other.t), `the heading did not follow the area: ${heading} → ${after}`);
    // The key figure matches the API for the new area.
    const api = await get(`/api/v1/data?indicator=v1101_t&level=wijk&period=2025&items=${other.v}`);
    const v = api.json().data[0].value;
    const text = (await page.locator('li.tile-keyfigure').first().innerText()).replace(/[\s\u202f\u00a0]/g, '');
    expect(text.includes(String(Math.round(v))), `key figure ${text} lacks ${v}`);
    // A tile opens the triptych for its indicator and area.
    await Promise.all([page.waitForURL(/\/indicator\/v1101_t\?/), page.locator('li.tile-keyfigure .detail a').first().click()]);
    expect(page.url().includes(`select=${other.v}`), `detail view without the area: ${page.url()}`);
    expect(await page.locator(`${TRIPTYCH} table.data tr.is-sel[data-area="${other.v}"]`).count() === 1, 'the area is not selected in the detail view');
  }),
);

await run('End-to-end (Playwright, Chromium)', {
  setup: launch,
  teardown: (browser) => browser.close(),
});
