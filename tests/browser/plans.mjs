// Policy monitoring (issue 17) in headless Chromium, against a site that browser.rs prepares
// (`browser::plan_scorecard_in_headless_chromium`): a public plan `PEIL_PLAN` with a KPI
// `PEIL_KPI` without a data source owned by the user PEIL_ADMIN_USER, and a record set
// `PEIL_RECORDS` with an operational dashboard for that user's group.
//   - the scorecard shows the KPI with no data, anonymously;
//   - the filters (a GET form) narrow the tree by status and by owner;
//   - the owner logs in, opens the check-in form under the KPI, enters a value above the
//     target and sees the KPI's status turn "on track", with the comment beside it;
//   - the goal links to the department's dashboard, which draws the monthly trend and drills
//     down to a month through its table's links, and breaks down by area through its form;
//   - axe-core on the scorecard (anonymous and logged in) and on the dashboard pages.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ARTIFACTS, check, expect, guardedContext, launch, run, url } from './lib.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const PLAN = process.env.PEIL_PLAN || 'mjp';
const KPI = process.env.PEIL_KPI || 'k_tevreden';
const RECORDS = process.env.PEIL_RECORDS || 'vergunningen';
const FAILING = new Set(['serious', 'critical']);

async function login(page) {
  await page.goto(url('/admin/login'), { waitUntil: 'load' });
  await page.fill('#login', process.env.PEIL_ADMIN_USER);
  await page.fill('#password', process.env.PEIL_ADMIN_PASSWORD);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form.admin-form button[type=submit]')]);
  expect(!new URL(page.url()).pathname.endsWith('/admin/login'), 'the owner could not log in');
}

async function axe(page, name) {
  await page.evaluate(AXE);
  // eslint-disable-next-line no-undef
  const result = await page.evaluate(() => axe.run(document, { resultTypes: ['violations'] }));
  writeFileSync(join(ARTIFACTS, `axe-${name}.json`), JSON.stringify(result, null, 2));
  const bad = result.violations.filter((v) => FAILING.has(v.impact));
  expect(!bad.length, `axe on ${page.url()}: ${bad.map((v) => `${v.id} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 4).join('; ')})`).join(', ')}`);
}

const status = (page, kpi) => page.getAttribute(`tr[data-kpi="${kpi}"] [data-status]`, 'data-status');

check('the scorecard shows the KPI without data, anonymously, and passes axe', async (browser) => {
  const ctx = await guardedContext(browser, { bypassCSP: true });
  try {
    const page = await ctx.newPage();
    const resp = await page.goto(url(`/plans/${PLAN}`), { waitUntil: 'load' });
    expect(resp.status() === 200, `/plans/${PLAN} answered ${resp.status()}`);
    expect((await status(page, KPI)) === 'no_data', `${KPI} is ${await status(page, KPI)}`);
    expect((await page.locator('form[action$="/checkin"]').count()) === 0, 'a check-in form without a session');
    await axe(page, 'plan-anonymous');
    ctx.assertClean();
  } finally {
    await ctx.close();
  }
});

check('the filters narrow the tree by status and by owner (GET form, no JavaScript needed)', async (browser) => {
  const ctx = await guardedContext(browser, { javaScriptEnabled: false });
  try {
    const page = await ctx.newPage();
    await page.goto(url(`/plans/${PLAN}`), { waitUntil: 'load' });
    const all = await page.locator('tr[data-kpi]').count();
    await page.selectOption('#f-status', 'no_data');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form.filters button[type=submit]')]);
    expect(new URL(page.url()).searchParams.get('status') === 'no_data', `filtered to ${page.url()}`);
    const shown = await page.locator('tr[data-kpi] [data-status]').evaluateAll((els) => els.map((e) => e.dataset.status));
    expect(shown.length > 0 && shown.every((s) => s === 'no_data'), `statuses shown: ${shown}`);
    expect(await page.locator(`tr[data-kpi="${KPI}"]`).count() === 1, `${KPI} filtered away`);
    await page.selectOption('#f-status', '');
    await page.selectOption('#f-owner', process.env.PEIL_ADMIN_USER);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form.filters button[type=submit]')]);
    const owned = await page.locator('tr[data-kpi]').count();
    expect(owned >= 1 && owned < all, `${owned} of ${all} KPIs for the owner`);
    ctx.assertClean();
  } finally {
    await ctx.close();
  }
});

check('the owner enters a check-in and sees the status change', async (browser) => {
  const ctx = await guardedContext(browser, { bypassCSP: true });
  try {
    const page = await ctx.newPage();
    await login(page);
    await page.goto(url(`/plans/${PLAN}`), { waitUntil: 'load' });
    const row = page.locator(`tr[data-kpi="${KPI}"]`);
    await row.locator('summary').click();
    const year = await row.locator('input[name=year]').inputValue();
    await row.locator('input[name=value]').fill('95');
    await row.locator('textarea[name=comment]').fill('Bevraging van de balie: ruim boven het doel.');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), row.locator('button[type=submit]').click()]);
    await page.goto(url(`/plans/${PLAN}`), { waitUntil: 'load' });
    expect((await status(page, KPI)) === 'on_track', `${KPI} is ${await status(page, KPI)} after the check-in`);
    const text = await page.locator(`tr[data-kpi="${KPI}"]`).innerText();
    expect(text.includes('ruim boven het doel') && text.includes(year), `the row reads: ${text}`);
    await axe(page, 'plan-owner');
    ctx.assertClean();
  } finally {
    await ctx.close();
  }
});

check("the goal links to the department's dashboard: trend chart, drill-down, areas, axe", async (browser) => {
  const ctx = await guardedContext(browser, { bypassCSP: true });
  try {
    const page = await ctx.newPage();
    await login(page);
    await page.goto(url(`/plans/${PLAN}`), { waitUntil: 'load' });
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(`.plan-dashboards a[href$="/admin/operations/${RECORDS}"]`)]);
    expect(new URL(page.url()).pathname.endsWith(`/admin/operations/${RECORDS}`), `at ${page.url()}`);
    expect(await page.locator('svg.line-chart[role=img]').count() === 1, 'no trend chart');
    await axe(page, 'dashboard');
    const link = page.locator('table.dash-months tbody tr a').nth(2);
    const month = (await link.innerText()).trim();
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), link.click()]);
    expect(new URL(page.url()).searchParams.get('month') === month, `drilled to ${page.url()}`);
    expect(await page.locator(`tr[data-month="${month}"][aria-current="true"]`).count() === 1, `${month} not marked`);
    expect((await page.locator('h2').first().innerText()).includes(month), 'the heading names no month');
    const levels = await page.locator('#dash-level option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
    expect(levels.length > 0, 'no level to choose');
    await page.selectOption('#dash-level', levels[levels.length - 1]);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('section[aria-labelledby=dash-areas] button[type=submit]')]);
    expect(new URL(page.url()).searchParams.get('month') === month, 'the month was lost');
    expect(await page.locator('table.dash-areas tbody tr').count() > 0, 'no area rows');
    await axe(page, 'dashboard-areas');
    ctx.assertClean();
  } finally {
    await ctx.close();
  }
});

await run('Policy monitoring (scorecard, check-in, dashboard)', {
  setup: launch,
  teardown: (browser) => browser.close(),
});
