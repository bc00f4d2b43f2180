// The back office end to end in Chromium, as a city statistician uses it on an empty site
// (issue 14): log in, upload the real Flanders area definitions, aggregation tables and the
// Fluvius file through the browser (chosen in the file field and dropped on the form), read
// each dry run, import, publish with the diff shown, see the value on the public page; upload a
// doctored Fluvius file and see its plausibility warning, publish it, see the new value, roll
// back and see the old one again; edit an indicator's name, build and move themes, preview the
// test copy, publish and see the new name; write a story and see its preview follow the text;
// give a colleague access (a group, a viewer account, an indicator restricted to the group);
// log out, and the viewer sees the restricted indicator that anonymous readers do not. Every step goes through the pages a user clicks, never through the API or the CLI;
// the checks read what the pages show (and the public page's `.json` twin for exact numbers).
//
// Needs PEIL_URL (an empty site served), PEIL_ADMIN_USER/PEIL_ADMIN_PASSWORD (a beheerder)
// and PEIL_FLANDERS (the shared Flanders data folder). browser.rs sets them up.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join, basename } from 'node:path';
import { tmpdir } from 'node:os';
import { ARTIFACTS, check, guardedContext, launch, run, url } from './lib.mjs';

const FLANDERS = process.env.PEIL_FLANDERS;
if (!FLANDERS) {
  console.error('PEIL_FLANDERS is not set: point it at the shared data/flanders folder');
  process.exit(2);
}
const AREAS = ['statsec2019', 'statsec2024', 'gemeente2024'].map((l) =>
  join(FLANDERS, 'swing/gebiedsdefinities', `${l}.xlsx`),
);
const TABLES = ['statsec2019_statsec2024', 'statsec2024_gemeente2024'].map((t) =>
  join(FLANDERS, 'swing/aggregatietabellen', `${t}.xlsx`),
);
const FLUVIUS = join(FLANDERS, 'stats/fluvius_energy_statsec2019_2018_2021.csv');
const CODE = 'v2506_elek_res_cons';

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** One browser session (cookies) shared by the steps; each step adds to the same story. */
const S = {};

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `journey-${name}.png`), fullPage: true });
}

async function login(page, user, password) {
  await page.goto(url('/admin/login'), { waitUntil: 'load' });
  await page.fill('#login', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form.admin-form button[type=submit]')]);
  assert(!new URL(page.url()).pathname.endsWith('/admin/login'), `${user} could not log in`);
}

/** Opens the collapsed "actions" of a tree node that holds `sel`, as a user clicks it open. */
async function reveal(page, sel) {
  if (await page.locator(sel).isVisible()) return;
  await page.locator(`details:has(${sel}) > summary`).first().click();
}

async function logout(page) {
  await page.goto(url('/admin/account'), { waitUntil: 'load' });
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form[action$="/admin/logout"] button')]);
}

/** The dry run's report and the import button, after files were given to the upload form. */
async function dryRunThenImport(page, expectKind, files) {
  const report = page.locator('section.import-file');
  await page.waitForSelector('section.import-file', { timeout: 60000 });
  const n = await report.count();
  assert(n === files, `the dry run reports ${n} files, expected ${files}`);
  const text = await page.locator('#report').locator('..').innerText();
  for (const k of [expectKind].flat()) assert(text.includes(`(${k})`), `the dry run names the kind ${k}:\n${text.slice(0, 800)}`);
  assert(!(await page.locator('.notice.error').count()), `the dry run found errors:\n${text.slice(0, 2000)}`);
  assert(!text.includes('.uploads'), `the report names the files as uploaded, not the server's folder:\n${text.slice(0, 400)}`);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load', timeout: 60000 }),
    page.click('form[action$="/admin/import/run"] button'),
  ]);
  const done = await page.locator('main').innerText();
  assert(/#\d+/.test(done), `the import page links the new imports:\n${done.slice(0, 800)}`);
  return text;
}

/** Chooses files in the upload form's file field (and ticks the options named) and sends it. */
async function uploadChosen(page, paths, options = []) {
  await page.goto(url('/admin/import'), { waitUntil: 'load' });
  await page.setInputFiles('#files', paths);
  for (const o of options) await page.check(o);
  const listed = await page.locator('.drop-list li').allInnerTexts();
  assert(listed.length === paths.length, `the form lists the chosen files: ${listed}`);
  await page.click('form[data-upload] button[type=submit]');
}

/** Drops files on the upload form's drop zone, as a file manager would, and sends it. */
async function uploadDropped(page, paths) {
  await page.goto(url('/admin/import'), { waitUntil: 'load' });
  const files = paths.map((p) => ({ name: basename(p), b64: readFileSync(p).toString('base64') }));
  const dt = await page.evaluateHandle((files) => {
    const dt = new DataTransfer();
    for (const f of files) {
      const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name));
    }
    return dt;
  }, files);
  await page.dispatchEvent('.drop-zone', 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent('.drop-zone', 'drop', { dataTransfer: dt });
  const listed = await page.locator('.drop-list li').allInnerTexts();
  assert(listed.length === paths.length, `the drop zone took the dropped files: ${listed}`);
  await page.click('form[data-upload] button[type=submit]');
}

/** The public indicator page's value for one area (from its `.json` twin), as anyone reads it. */
async function publicValue(browser, level, period, area) {
  const ctx = await guardedContext(browser);
  try {
    const page = await ctx.newPage();
    const html = await page.goto(url(`/indicator/${CODE}?level=${level}&period=${period}`), { waitUntil: 'load' });
    assert(html.status() === 200, `the public indicator page answered ${html.status()}`);
    const resp = await page.goto(url(`/indicator/${CODE}.json?level=${level}&period=${period}`));
    const twin = await resp.json();
    const row = twin.rows.find((r) => r.code === area);
    assert(row, `no row for ${area} on the public page`);
    return row.value;
  } finally {
    await ctx.close();
  }
}

/** Publishes from /admin/publish after checking the diff; returns the diff's text. */
async function publish(page, expect) {
  await page.goto(url('/admin/publish'), { waitUntil: 'load' });
  const diff = await page.locator('#diff').locator('..').innerText();
  for (const e of expect) assert(e.test(diff), `the publish diff shows ${e}:\n${diff.slice(0, 1500)}`);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout: 60000 }), page.click('form[action$="/admin/publish"] button')]);
  return diff;
}

/** Waits until the server has swapped in the publication (it polls the store). */
async function eventually(what, f, secs = 20) {
  const t0 = Date.now();
  let last;
  for (;;) {
    try {
      last = await f();
      if (last === true) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > secs * 1000) throw new Error(`${what}: still ${last}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

// A 2019 sector value of the Fluvius file that is well above zero in 2018 and 2020 too, and a
// correction file of that sector with the value ten times larger.
function doctored() {
  const text = readFileSync(FLUVIUS, 'utf8');
  const lines = text.split('\n');
  const header = lines[0].split(',');
  const col = header.indexOf(CODE);
  const by = new Map();
  for (const l of lines.slice(1)) {
    const f = l.split(',');
    if (f.length > col) by.set(`${f[0]}|${f[1]}`, f[col]);
  }
  for (const [i, l] of lines.entries()) {
    const f = l.split(',');
    if (f[1] !== '2019') continue;
    const v = Number(f[col]);
    const around = ['2018', '2020'].map((y) => Number(by.get(`${f[0]}|${y}`)));
    if (v > 1000 && around.every((x) => x > 1000)) {
      const big = String(v * 10);
      f[col] = big;
      lines[i] = f.join(',');
      // A correction file for that one sector: its rows of every year, one of them wrong.
      const rows = lines.filter((l, j) => j === 0 || l.startsWith(`${f[0]},`));
      const dir = mkdtempSync(join(tmpdir(), 'peil-journey-'));
      const path = join(dir, 'fluvius_correctie.csv');
      writeFileSync(path, rows.join('\n') + '\n');
      return { path, area: f[0], old: v, big: v * 10 };
    }
  }
  throw new Error('no suitable value in the Fluvius file');
}

check('log in as the statistician', async (browser) => {
  S.ctx = await guardedContext(browser);
  S.page = await S.ctx.newPage();
  await login(S.page, process.env.PEIL_ADMIN_USER, process.env.PEIL_ADMIN_PASSWORD);
});

check('upload the area definitions (chosen), dry run, import', async () => {
  await uploadChosen(S.page, AREAS);
  const text = await dryRunThenImport(S.page, 'areas', AREAS.length);
  assert(/statsec2019/.test(text) && /gemeente2024/.test(text), 'the dry run names the new levels');
  await shot(S.page, 'areas');
});

check('upload the aggregation tables (dropped), dry run, import', async () => {
  await uploadDropped(S.page, TABLES);
  await dryRunThenImport(S.page, 'links', TABLES.length);
});

check('upload the Fluvius file, dry run shows what it adds, import', async () => {
  // Its indicators are new: the form's "create new indicators" option.
  await uploadChosen(S.page, [FLUVIUS], ['#create']);
  const text = await dryRunThenImport(S.page, 'data', 1);
  assert(text.includes(CODE), `the dry run lists ${CODE}`);
  await shot(S.page, 'fluvius');
});

check('publish with the diff shown, the value on the public page', async (browser) => {
  await publish(S.page, [new RegExp(CODE)]);
  S.doc = doctored();
  await eventually('the first publication is served', async () => {
    const v = await publicValue(browser, 'statsec2019', '2019', S.doc.area);
    return v === S.doc.old || `value ${v}`;
  });
});

check('a doctored file: the plausibility warning, import, publish, the new value', async (browser) => {
  await uploadChosen(S.page, [S.doc.path]);
  await S.page.waitForSelector('section.import-file', { timeout: 60000 });
  const report = await S.page.locator('section.import-file').innerText();
  const warned = report
    .split('\n')
    .some((l) => l.includes(S.doc.area) && l.includes('2019') && l.includes(CODE));
  assert(warned, `a plausibility warning names ${CODE} ${S.doc.area} 2019:\n${report.slice(0, 3000)}`);
  await shot(S.page, 'plausibility');
  await dryRunThenImport(S.page, 'data', 1);
  await publish(S.page, [new RegExp(`${CODE}[^\\n]*${S.doc.area}[^\\n]*2019`)]);
  await eventually('the doctored value is served', async () => {
    const v = await publicValue(browser, 'statsec2019', '2019', S.doc.area);
    return v === S.doc.big || `value ${v}`;
  });
});

check('roll back: the old value again', async (browser) => {
  await S.page.goto(url('/admin/publish'), { waitUntil: 'load' });
  const buttons = S.page.locator('form[action*="/rollback"] button');
  assert((await buttons.count()) >= 1, 'a kept publication to roll back to');
  await Promise.all([S.page.waitForNavigation({ waitUntil: 'load' }), buttons.first().click()]);
  await eventually('the rolled-back value is served', async () => {
    const v = await publicValue(browser, 'statsec2019', '2019', S.doc.area);
    return v === S.doc.old || `value ${v}`;
  });
});

check("edit an indicator's name and build the theme tree; preview; publish", async (browser) => {
  const page = S.page;
  S.newName = 'Elektriciteitsverbruik van huishoudens';
  await page.goto(url(`/admin/indicators/${CODE}`), { waitUntil: 'load' });
  await page.fill('#f-name', S.newName);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form.metadata-form button[type=submit]')]);
  assert(!(await page.locator('.field-error').count()), 'the name is accepted');
  // Two themes, one moved under the other, the indicator placed in it.
  for (const [code, name] of [['energie', 'Energie'], ['elektriciteit', 'Elektriciteit']]) {
    await page.goto(url('/admin/themes'), { waitUntil: 'load' });
    await page.fill('#new-code', code);
    await page.fill('#new-name', name);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form[action$="/admin/themes"] button[type=submit]')]);
  }
  await reveal(page, '#mv-elektriciteit');
  await page.fill('#mv-elektriciteit', 'energie');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form[action$="/admin/themes/elektriciteit/move"] button[type=submit]')]);
  await reveal(page, `#iu-${CODE}`);
  await page.fill(`#iu-${CODE}`, 'elektriciteit');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(`form:has(#iu-${CODE}) button[type=submit]`)]);
  const tree = await page.locator('main').innerText();
  assert(/Energie[\s\S]*Elektriciteit[\s\S]*v2506_elek_res_cons/.test(tree), `the tree holds Energie > Elektriciteit > ${CODE}:\n${tree.slice(0, 1500)}`);
  // Nothing public yet: the public page has the old name; the expert's preview has the new one.
  const anon = await guardedContext(browser);
  const ap = await anon.newPage();
  await ap.goto(url(`/indicator/${CODE}`), { waitUntil: 'load' });
  assert(!(await ap.locator('h1').innerText()).includes(S.newName), 'the public page keeps the old name before publishing');
  await anon.close();
  await page.goto(url(`/indicator/${CODE}`), { waitUntil: 'load' });
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form[action$="/admin/preview"] button')]);
  await page.goto(url(`/indicator/${CODE}`), { waitUntil: 'load' });
  assert(await page.locator('.preview-banner').count(), 'the preview banner');
  assert((await page.locator('h1').innerText()).includes(S.newName), 'the preview shows the new name');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('.preview-banner form button')]);
  await shot(page, 'preview-off');
  await publish(page, [/Energie|themes|thema/i]);
  await eventually('the new name is public', async () => {
    const ctx = await guardedContext(browser);
    try {
      const p = await ctx.newPage();
      await p.goto(url(`/indicator/${CODE}`), { waitUntil: 'load' });
      const h = await p.locator('h1').innerText();
      return h.includes(S.newName) || h;
    } finally {
      await ctx.close();
    }
  });
});

check('write a story: the preview follows the text', async () => {
  const page = S.page;
  await page.goto(url('/admin/stories'), { waitUntil: 'load' });
  await page.fill('#new-name', 'energie');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form:has(#new-name) button[type=submit]')]);
  const story = (mark) =>
    `+++\ntitle = "Energie in {{ geo.name }}"\nlevel = "gemeente2024"\n+++\n# Energie\n\n${mark}: {{ value("${CODE}", geo, "2021") | int }} kWh.\n`;
  await page.fill('#source', story('EERSTE'));
  await page.waitForFunction(() => document.querySelector('#preview').innerText.includes('EERSTE'), null, { timeout: 20000 });
  const first = await page.locator('#preview').innerText();
  assert(/EERSTE: \d[\d\s\u00a0\u202f.]* kWh/.test(first), `the preview shows the value for the chosen area:\n${first.slice(0, 500)}`);
  await page.fill('#source', story('TWEEDE'));
  await page.waitForFunction(() => document.querySelector('#preview').innerText.includes('TWEEDE'), null, { timeout: 20000 });
  await shot(page, 'story');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[name=op][value=save]')]);
  assert(!(await page.locator('.notice.error').count()), `the story is saved:\n${(await page.locator('main').innerText()).slice(0, 800)}`);
});

check('give a colleague access: a group and a viewer account', async () => {
  const page = S.page;
  await page.goto(url('/admin/groups'), { waitUntil: 'load' });
  await page.fill('#new-name', 'energie');
  await page.fill('#new-description', 'Energiecel');
  await page.fill('#new-levels', 'statsec2019, gemeente2024');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form[action$="/admin/groups"] >> text=/Groep toevoegen|Add a group/')]);
  assert(/energie/.test(await page.locator('main').innerText()), 'the group is listed');
  await page.goto(url('/admin/users'), { waitUntil: 'load' });
  await page.fill('#new-login', 'collega');
  await page.fill('#new-groups', 'energie');
  await page.selectOption('#new-role', 'viewer');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#add ~ form button[type=submit], section[aria-labelledby=add] button[type=submit]')]);
  S.viewerPassword = (await page.locator('code.secret').innerText()).trim();
  assert(S.viewerPassword.length >= 12, 'a one-time password is shown');
});

check('restrict an indicator to the group and publish', async (browser) => {
  const page = S.page;
  S.restricted = 'v2506_gas_res_n';
  await page.goto(url(`/admin/indicators/${S.restricted}`), { waitUntil: 'load' });
  await page.fill('#f-visibility', 'restricted:energie');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form.metadata-form button[type=submit]')]);
  assert(!(await page.locator('.field-error').count()), 'the visibility is accepted');
  await publish(page, []);
  await eventually('the indicator is hidden from anonymous readers', async () => {
    const ctx = await guardedContext(browser);
    try {
      const p = await ctx.newPage();
      ctx.expectError(url(`/indicator/${S.restricted}`));
      const r = await p.goto(url(`/indicator/${S.restricted}`), { waitUntil: 'load' });
      return r.status() === 404 || `status ${r.status()}`;
    } finally {
      await ctx.close();
    }
  });
});

check('log out; the viewer logs in, sees the restricted indicator, logs out', async (browser) => {
  await logout(S.page);
  const r = await S.page.goto(url('/admin'), { waitUntil: 'load' });
  assert(new URL(S.page.url()).pathname.endsWith('/admin/login'), `after logout /admin leads to the login form (${r.status()})`);
  S.ctx.assertClean();
  await S.ctx.close();
  const ctx = await guardedContext(browser);
  try {
    const page = await ctx.newPage();
    await login(page, 'collega', S.viewerPassword);
    assert(new URL(page.url()).pathname.endsWith('/admin/account'), 'a viewer lands on their account');
    const r = await page.goto(url(`/indicator/${S.restricted}`), { waitUntil: 'load' });
    assert(r.status() === 200, `the viewer reads ${S.restricted} (${r.status()})`);
    assert(await page.locator('.intern').count(), 'with its "intern" mark');
    await shot(page, 'viewer');
    await logout(page);
    ctx.assertClean();
  } finally {
    await ctx.close();
  }
});

run('Back office journey (Chromium)', { setup: launch, teardown: (b) => b.close() });
