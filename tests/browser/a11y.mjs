// axe-core in every page type of the website. Fails on any violation of impact "serious" or
// "critical" and prints each with the rule, the elements (selector and HTML) and how to fix it;
// lesser ones are printed as notes. Full results go to $PEIL_ARTIFACTS/axe-<page>.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ARTIFACTS, DESKTOP, PHONE, check, facts, get, guardedContext, launch, run, url } from './lib.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const FAILING = new Set(['serious', 'critical']);

const f = await facts();
const theme = f.themes.find((t) => t.children?.length) || f.themes[0];
const ind = `/indicator/${f.indicator}?level=${f.level}`;
const PAGES = [
  ['home', '/'],
  ['home-en', '/en/'],
  ['home-fr', '/fr/'],
  ['themes', '/themes'],
  ['theme', `/themes/${theme.code}`],
  ['search', '/search?q=inwoner'],
  ['search-empty', '/search?q=zzzzqqq'],
  ['indicator', ind],
  ['indicator-en', `/en${ind}`],
  ['area', `/area/${f.level}/${f.area.code}`],
  ['compare', `/compare?level=${f.level}&areas=${f.area.code},${f.area2.code}&indicators=${f.indicator}`],
  ['explorer-table', `/explorer?indicators=${f.indicator}&level=${f.level}&view=table`],
  ['explorer-map', `/explorer?indicators=${f.indicator}&level=${f.level}&view=map`],
  ['explorer-chart', `/explorer?indicators=${f.indicator}&level=${f.level}&view=chart`],
  ['embed-map', `/embed/indicator/${f.indicator}/map`],
  ['embed-chart', `/embed/indicator/${f.indicator}/chart`],
  ['embed-table', `/embed/indicator/${f.indicator}/table`],
  ['stories', '/stories'],
  ['dashboard', '/dashboards/bevolking'],
  ['story', '/stories/wijkprofiel'],
  ['omgevingsanalyse', '/stories/omgevingsanalyse?regionlevel=gemeente&regioncode=46999'],
  ['manual', '/handleiding'],
  ['manual-en-index', '/en/manual'],
  ['manual-fr-index', '/fr/manuel'],
];
// Every chapter of the handbook in its three languages, as the indexes link them.
for (const index of ['/handleiding', '/en/manual', '/fr/manuel']) {
  const html = (await get(index)).text;
  const chapters = new Set([...html.matchAll(/href="(\/(?:en\/manual|fr\/manuel|handleiding)\/[a-z0-9-]+)"/g)].map((m) => m[1]));
  if (chapters.size < 2) throw new Error(`${index} links no chapters`);
  for (const path of chapters) PAGES.push([`manual${path.replace(/\//g, '-')}`, path]);
}

// The back office, logged in as the administrator browser.rs makes (PEIL_ADMIN_USER and
// PEIL_ADMIN_PASSWORD); the login form itself is checked logged out.
const ADMIN = process.env.PEIL_ADMIN_USER
  ? [
      ['admin-login', '/admin/login', false],
      ['admin-home', '/admin', true],
      ['admin-account', '/admin/account', true],
      ['admin-users', '/admin/users', true],
      ['admin-keys', '/admin/keys', true],
      ['admin-audit', '/admin/audit', true],
      ['admin-groups', '/admin/groups', true],
      ['admin-import', '/admin/import', true],
      ['admin-imports', '/admin/imports', true],
      ['admin-schedule', '/admin/schedule', true],
      ['admin-source-new', '/admin/schedule/sources/new', true],
      ['admin-publish', '/admin/publish', true],
      ['admin-themes', '/admin/themes', true],
      ['admin-indicators', '/admin/indicators', true],
      ['admin-indicator', '/admin/indicators/v1101_t', true],
      ['admin-indicator-fr', '/fr/admin/indicators/v_dichtheid', true],
      ['admin-units', '/admin/units', true],
      ['admin-areas', '/admin/areas?level=gemeente', true],
      ['admin-users-en', '/en/admin/users', true],
      // The content pages (issue 14 §4): lists, the editors, history, images, settings.
      ['admin-stories', '/admin/stories', true],
      ['admin-story', '/admin/stories/wijkprofiel', true],
      ['admin-story-history', '/admin/stories/wijkprofiel/history', true],
      ['admin-dashboards', '/admin/dashboards', true],
      ['admin-dashboard', '/admin/dashboards/bevolking', true],
      ['admin-images', '/admin/images', true],
      ['admin-settings', '/admin/settings', true],
      ['admin-settings-history', '/admin/settings/history', true],
      ['admin-story-fr', '/fr/admin/stories/wijkprofiel', true],
      // A restricted indicator with its "intern" mark (the administrator is in its group).
      ['indicator-intern', '/indicator/v_leefloon?level=wijk', true],
    ]
  : [];

async function login(page) {
  await page.goto(url('/admin/login'), { waitUntil: 'load' });
  await page.fill('#login', process.env.PEIL_ADMIN_USER);
  await page.fill('#password', process.env.PEIL_ADMIN_PASSWORD);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form.admin-form button[type=submit]')]);
  if (new URL(page.url()).pathname.endsWith('/admin/login')) throw new Error('the administrator could not log in');
}

async function axe(page) {
  // Evaluated as a script so that a Content-Security-Policy cannot keep axe out
  // (the context also bypasses CSP).
  await page.evaluate(AXE);
  return page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ['violations', 'incomplete'] }),
  );
}

function describe(v) {
  const nodes = v.nodes
    .slice(0, 8)
    .map(
      (n) =>
        `      at ${n.target.join(' ')}\n         ${n.html.replace(/\s+/g, ' ').slice(0, 300)}` +
        (n.failureSummary ? `\n         ${n.failureSummary.replace(/\n\s*/g, ' | ').slice(0, 400)}` : ''),
    )
    .join('\n');
  const more = v.nodes.length > 8 ? `\n      … and ${v.nodes.length - 8} more elements` : '';
  return `[${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}${more}`;
}

for (const [name, path, loggedIn] of [...PAGES, ...ADMIN]) {
  for (const [vp, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ]) {
    // Phone width for the pages whose layout changes most; desktop for all.
    if (vp === 'phone' && !['home', 'indicator', 'area', 'search'].includes(name)) continue;
    check(`axe ${name} ${vp} (${path})`, async (browser) => {
      const ctx = await guardedContext(browser, { viewport, bypassCSP: true });
      try {
        const page = await ctx.newPage();
        if (loggedIn) await login(page);
        const resp = await page.goto(url(path), { waitUntil: 'load' });
        if (resp.status() !== 200) throw new Error(`${path} answered ${resp.status()}`);
        const result = await axe(page);
        writeFileSync(join(ARTIFACTS, `axe-${name}-${vp}.json`), JSON.stringify(result, null, 2));
        const bad = result.violations.filter((v) => FAILING.has(v.impact));
        const minor = result.violations.filter((v) => !FAILING.has(v.impact));
        for (const v of minor) console.log(`        note: ${describe(v).split('\n')[0]}`);
        if (bad.length) {
          throw new Error(`serious/critical axe violations on ${path}: ${bad.map((v) => v.id).join(', ')}\n${bad.map(describe).join('\n')}`);
        }
        ctx.assertClean();
      } finally {
        await ctx.close();
      }
    });
  }
}

await run('Accessibility (axe-core)', {
  setup: launch,
  teardown: (browser) => browser.close(),
});
