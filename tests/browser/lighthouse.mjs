// Lighthouse on the home page, an indicator page and an area page. Asserts performance and
// accessibility ≥ 0.95 with the desktop preset; the mobile preset (Lighthouse's default, with
// simulated throttling) is run and printed for the record. Reports go to $PEIL_ARTIFACTS.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import { ARTIFACTS, BASE, CHROME_FLAGS, CHROMIUM, check, expect, facts, run, url } from './lib.mjs';

const MIN = { performance: 0.95, accessibility: 0.95 };
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];
const scores = []; // for the closing table

async function audit(chrome, name, path, preset) {
  const flags = {
    port: chrome.port,
    output: ['json', 'html'],
    logLevel: 'error',
    onlyCategories: CATEGORIES,
  };
  const config = preset === 'desktop' ? desktopConfig : undefined;
  const result = await lighthouse(url(path), flags, config);
  if (!result) throw new Error(`Lighthouse returned nothing for ${path}`);
  const { lhr, report } = result;
  const file = join(ARTIFACTS, `lighthouse-${name}-${preset}`);
  writeFileSync(`${file}.json`, report[0]);
  writeFileSync(`${file}.html`, report[1]);
  if (lhr.runtimeError) throw new Error(`Lighthouse runtime error on ${path}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
  const s = Object.fromEntries(CATEGORIES.map((c) => [c, lhr.categories[c]?.score ?? null]));
  scores.push({ page: name, path, preset, ...s });
  const m = (id) => lhr.audits[id]?.displayValue ?? '-';
  console.log(
    `        ${name} ${preset}: ` +
      CATEGORIES.map((c) => `${c} ${fmt(s[c])}`).join(', ') +
      `  [FCP ${m('first-contentful-paint')}, LCP ${m('largest-contentful-paint')}, TBT ${m('total-blocking-time')}, CLS ${m('cumulative-layout-shift')}, SI ${m('speed-index')}]`,
  );
  return lhr;
}

const fmt = (x) => (x == null ? 'n/a' : Math.round(x * 100).toString());

/** The audits that cost points in a category, worst first, with what they say. */
function losses(lhr, category) {
  const cat = lhr.categories[category];
  const total = cat.auditRefs.reduce((a, r) => a + r.weight, 0) || 1;
  return cat.auditRefs
    .map((r) => ({ ...r, audit: lhr.audits[r.id] }))
    .filter((r) => r.weight > 0 && r.audit && r.audit.score !== null && r.audit.score < 1)
    .map((r) => ({
      id: r.id,
      cost: (r.weight * (1 - r.audit.score)) / total,
      title: r.audit.title,
      value: r.audit.displayValue || '',
      items: (r.audit.details?.items || [])
        .slice(0, 5)
        .map((i) =>
          [i.node?.snippet || i.source?.snippet || i.node?.selector || i.url || i.source?.url || i.sourceLocation?.url, i.description]
            .filter(Boolean)
            .join(' — '),
        )
        .filter(Boolean),
    }))
    .sort((a, b) => b.cost - a.cost);
}

function describeLosses(lhr, category) {
  return losses(lhr, category)
    .map(
      (l) =>
        `${l.id} (−${(l.cost * 100).toFixed(1)} points): ${l.title}${l.value ? ` — ${l.value}` : ''}` +
        l.items.map((i) => `\n      ${i}`).join(''),
    )
    .join('\n    ');
}

async function pages() {
  if (process.env.PEIL_LH_PAGES) {
    return process.env.PEIL_LH_PAGES.split(',').map((p, i) => [`page${i + 1}`, p]);
  }
  const f = await facts();
  return [
    ['home', '/'],
    ['indicator', `/indicator/${f.indicator}?level=${f.level}`],
    ['area', `/area/${f.level}/${f.area.code}`],
  ];
}

for (const [name, path] of await pages()) {
  check(`lighthouse ${name} (${path})`, async (chrome) => {
    const desktop = await audit(chrome, name, path, 'desktop');
    try {
      await audit(chrome, name, path, 'mobile'); // for the record only
    } catch (e) {
      console.log(`        (mobile run failed, not asserted: ${e.message})`);
    }
    // What costs points, also when the score passes: the next thing to fix.
    for (const cat of CATEGORIES) {
      const l = losses(desktop, cat).filter((x) => x.cost >= 0.005);
      if (l.length) console.log(`        ${name} desktop ${cat} lost points on: ${l.map((x) => `${x.id} (−${(x.cost * 100).toFixed(1)})`).join(', ')}`);
    }
    const problems = [];
    for (const [cat, min] of Object.entries(MIN)) {
      const score = desktop.categories[cat].score;
      if (!(score >= min)) {
        problems.push(`${cat} ${fmt(score)} < ${fmt(min)} (desktop) on ${path}; what cost points:\n    ${describeLosses(desktop, cat)}`);
      }
    }
    expect(problems.length === 0, problems.join('\n'));
  });
}

await run('Lighthouse', {
  setup: () =>
    chromeLauncher.launch({
      chromePath: CHROMIUM,
      chromeFlags: CHROME_FLAGS,
      logLevel: 'silent',
    }),
  teardown: async (chrome) => {
    await chrome.kill();
    if (scores.length) {
      console.log(`\n   Lighthouse scores (0–100) on ${BASE}:`);
      console.log(`   ${'page'.padEnd(10)} ${'preset'.padEnd(8)} ${CATEGORIES.map((c) => c.padStart(15)).join('')}`);
      for (const s of scores) {
        console.log(`   ${s.page.padEnd(10)} ${s.preset.padEnd(8)} ${CATEGORIES.map((c) => fmt(s[c]).padStart(15)).join('')}`);
      }
      writeFileSync(join(ARTIFACTS, 'lighthouse-scores.json'), JSON.stringify(scores, null, 2));
    }
  },
});
