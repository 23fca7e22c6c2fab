import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runInNewContext } from 'node:vm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { serveDocs } from '../core/docs/serve-docs.js';
import type { SiteIndex } from '../core/docs/site-data.js';
import { openSession } from '../core/session.js';
import { hasChromium, launchChromium } from './support/chromium.js';
import { dialects, FixtureProject, type CliResult } from './support/project.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = mkdtempSync(join(tmpdir(), 'smelt-docs-shots-'));

// A description and SQL that would run script if any of it reached the page as HTML.
const XSS = `<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> & "quotes"`;

const FIXTURE = {
  'models/staging/stg_customers.sql': `select * from (values (1, 'ann', 'gold'), (2, 'bob', 'silver')) as t(customer_id, name, loyalty_tier)\n`,
  'models/staging/stg_orders.sql': `-- </script><script>window.__xss = 3</script>\nselect * from (values (10, 1, 12.5), (11, 2, 3.0)) as t(order_id, customer_id, amount)\n`,
  'models/marts/customer_revenue.sql': `{{ config(materialized='table', tags=['finance']) }}
select c.customer_id, c.name, c.loyalty_tier, sum(o.amount) as revenue, count(*) as orders
from {{ ref('stg_customers') }} as c
join {{ ref('stg_orders') }} as o on o.customer_id = c.customer_id
group by 1, 2, 3
`,
  'models/schema.yml': `version: 2
models:
  - name: stg_customers
    description: '${XSS.replace(/'/g, "''")}'
    columns:
      - name: loyalty_tier
        description: 'Loyalty tier <img src=x onerror="window.__xss = 4">'
  - name: customer_revenue
    description: Revenue per customer, all time.
    columns:
      - name: customer_id
        data_tests: [not_null, unique]
      - name: revenue
        description: Sum of order amounts.
`,
};

function readIndex(dir: string): SiteIndex {
  let index: SiteIndex | undefined;
  runInNewContext(readFileSync(join(dir, 'target/docs/data/index.js'), 'utf8'), { window: { __smeltIndex: (v: SiteIndex) => (index = v) } });
  return index!;
}

async function open(page: Page, url: string, view: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector(`body[data-ready="${view}"]`, { timeout: 20_000 });
}

describe.each(await dialects())('smelt docs generate on %s', (dialect) => {
  let fixture: FixtureProject;
  beforeAll(async () => {
    fixture = new FixtureProject(dialect, FIXTURE);
    const build = await fixture.cli('build');
    expect(build.code, build.stderr + build.stdout).toBe(0);
  });
  afterAll(() => fixture.cleanup());

  it('writes the site with warehouse column types, column lineage and last run statuses', async () => {
    const result = await fixture.cli('docs', 'generate');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Wrote the docs of 5 nodes to target\/docs\/ .*column lineage for 3, warehouse columns for 3/);
    const index = readIndex(fixture.dir);
    const revenue = index.nodes.find((n) => n.name === 'customer_revenue')!;
    expect(revenue.status).toBe('success');
    const tests = index.nodes.filter((n) => n.type === 'test');
    expect(tests.map((t) => `${t.testName} ${t.testedColumn} ${t.status}`).sort()).toEqual(['not_null customer_id pass', 'unique customer_id pass']);
    expect(tests.every((t) => index.nodes[t.tested!] === revenue)).toBe(true);
    expect(revenue.columns.map((c) => c[0])).toEqual(['customer_id', 'name', 'loyalty_tier', 'revenue', 'orders']);
    expect(revenue.columns.every((c) => c[1] !== '')).toBe(true);
    expect(revenue.columns.find((c) => c[0] === 'revenue')![2]).toBe('Sum of order amounts.');
    expect(revenue.tags).toContain('finance');
  });
});

describe('smelt docs CLI', () => {
  it('explains itself with examples', async () => {
    const fixture = new FixtureProject('duckdb', FIXTURE);
    try {
      for (const args of [['docs', '--help'], ['docs', 'generate', '--help'], ['docs', 'serve', '--help']]) {
        const help = await fixture.cli(...args);
        expect(help.code).toBe(0);
        expect(help.stdout).toMatch(/Examples?:\n {2}smelt docs/);
      }
    } finally {
      await fixture.cleanup();
    }
  });

  it('serve refuses to start without a generated site, then serves it on 127.0.0.1 until interrupted', async () => {
    const fixture = new FixtureProject('duckdb', FIXTURE);
    try {
      const missing = await fixture.cli('docs', 'serve', '--port', '0');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/no docs site in target\/docs\/[\s\S]*smelt docs generate/);
      expect((await fixture.cli('docs', 'generate', '--empty-catalog')).code).toBe(0);

      let stdout = '';
      const running: Promise<number> = main(['docs', 'serve', '--port', '0'], {
        stdout: (t) => (stdout += t), stderr: (t) => (stdout += t), cwd: fixture.dir, env: { ...process.env, NO_COLOR: '1' }, isTty: false,
      });
      for (let i = 0; i < 100 && !/http:\/\//.test(stdout); i++) await new Promise((r) => setTimeout(r, 20));
      const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)?.[1];
      expect(url, stdout).toBeDefined();
      const page = await fetch(url!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>smelt docs</title>');
      expect((await fetch(`${url}data/index.js`)).status).toBe(200);
      process.emit('SIGINT');
      expect(await running).toBe(0);
    } finally {
      await fixture.cleanup();
    }
  });

  it('rejects a bad port', async () => {
    const fixture = new FixtureProject('duckdb', FIXTURE);
    try {
      const result: CliResult = await fixture.cli('docs', 'serve', '--port', 'http');
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--port must be a whole number/);
    } finally {
      await fixture.cleanup();
    }
  });
});

describe.skipIf(!hasChromium())('the docs site in headless Chromium', () => {
  let browser: Browser;
  let fixture: FixtureProject;
  let demo: string;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    fixture = new FixtureProject('duckdb', FIXTURE);
    expect((await fixture.cli('build')).code).toBe(0);
    expect((await fixture.cli('docs', 'generate')).code).toBe(0);

    // The demo project (repo root) copied without its target/, so nothing here touches it.
    demo = mkdtempSync(join(tmpdir(), 'smelt-docs-demo-'));
    for (const entry of ['project.yml', 'models', 'seeds', 'macros', 'snapshots', 'tests']) {
      if (existsSync(join(REPO, entry))) cpSync(join(REPO, entry), join(demo, entry), { recursive: true });
    }
    const generated = await main(['docs', 'generate', '-q'], { stdout: () => undefined, stderr: () => undefined, cwd: demo, env: { ...process.env, NO_COLOR: '1' }, isTty: false });
    expect(generated).toBe(0);

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await fixture?.cleanup();
    if (demo) rmSync(demo, { recursive: true, force: true });
    if (process.env.SMELT_KEEP_SCREENSHOTS) console.log(`docs screenshots kept in ${SHOTS}`);
    else rmSync(SHOTS, { recursive: true, force: true });
  });

  const site = (dir: string, hash = ''): string => `${pathToFileURL(join(dir, 'target/docs/index.html')).href}${hash}`;

  it('opens from file:// and draws every node of the demo project in the lineage graph', async () => {
    await open(page, site(demo, '#/lineage'), 'lineage');
    const session = openSession({ projectDir: demo });
    const expected = [...Object.values(session.compiled.manifest.nodes), ...Object.values(session.compiled.manifest.sources)]
      .filter((n) => n.resourceType !== 'test').map((n) => n.uniqueId).sort();
    const drawn = await page.$$eval('svg.graph g.node', (nodes) => nodes.map((n) => n.getAttribute('data-id')!).sort());
    expect(drawn).toEqual(expected);
    expect(drawn).toContain('model.shop.fact_sales');
    // Laid out left to right: a bronze model sits left of the gold model it feeds.
    const x = async (id: string) => (await page.locator(`g.node[data-id="${id}"]`).boundingBox())!.x;
    expect(await x('model.shop.brz_order_lines')).toBeLessThan(await x('model.shop.fact_sales'));
    const shot = join(SHOTS, 'demo-lineage.png');
    await page.screenshot({ path: shot });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    if (process.env.SMELT_UPDATE_SCREENSHOTS) {
      mkdirSync(join(REPO, 'docs'), { recursive: true });
      cpSync(shot, join(REPO, 'docs', 'lineage.png'));
    }
    expect(errors).toEqual([]);
  });

  it('opens a node page when a node is clicked, with columns, types and their lineage', async () => {
    await open(page, site(fixture.dir, '#/lineage'), 'lineage');
    // Tests are left out of the graph unless asked for.
    expect(await page.locator('svg.graph g.node').count()).toBe(3);
    await page.locator('g.node[data-id="model.fixture.customer_revenue"] rect.box').click();
    await page.waitForSelector('body[data-ready="node"]');
    expect(page.url()).toContain('#/node/model.fixture.customer_revenue');
    expect(await page.locator('main h1').textContent()).toBe('customer_revenue');
    const revenueRow = page.locator('tr[data-column="revenue"]');
    expect(await revenueRow.locator('td').nth(2).textContent()).toBe('Sum of order amounts.');
    expect(await revenueRow.locator('td').nth(4).textContent()).toContain('stg_orders.amount');
    expect(await page.locator('tr[data-column="name"] td').nth(4).textContent()).toContain('stg_customers.name');
    // Tests on a column, with their last results.
    expect(await page.locator('tr[data-column="customer_id"] td').nth(3).textContent()).toBe('not_null: passunique: pass');
    // Highlighted SQL (highlight.js loads on demand).
    await page.waitForSelector('pre.code code.hljs .hljs-keyword');
    await page.screenshot({ path: join(SHOTS, 'node-page.png'), fullPage: true });
  });

  it('traces a column through the graph', async () => {
    await open(page, site(fixture.dir, '#/lineage?focus=model.fixture.customer_revenue&column=revenue'), 'lineage');
    const rows = await page.$$eval('svg.graph g.row', (els) => els.map((e) => `${e.closest('g.node')!.getAttribute('data-id')}.${e.getAttribute('data-column')}`).sort());
    expect(rows).toEqual(['model.fixture.customer_revenue.revenue', 'model.fixture.stg_orders.amount']);
  });

  it('finds a column by search and opens its node at that column', async () => {
    await open(page, site(fixture.dir, '#/'), 'overview');
    await page.locator('#search').fill('loyalty_ti');
    const hit = page.locator('#search-results a.result[data-kind="column"]').first();
    await hit.waitFor();
    expect(await hit.textContent()).toContain('column loyalty_tier');
    await hit.click();
    await page.waitForSelector('body[data-ready="node"]');
    expect(await page.locator('tr.highlight').getAttribute('data-column')).toBe('loyalty_tier');
  });

  it('shows user text as text: a description with <script> does not run', async () => {
    await open(page, site(fixture.dir, '#/node/model.fixture.stg_customers'), 'node');
    expect(await page.locator('main .description').textContent()).toBe(XSS);
    await page.locator('#search').fill('script');
    await page.locator('#search-results a.result').first().waitFor();
    await open(page, site(fixture.dir, '#/node/model.fixture.stg_orders'), 'node');
    expect(await page.locator('tr[data-column="amount"] td').nth(5).textContent()).toBe('customer_revenue.revenue');
    await page.waitForSelector('pre.code code.hljs');
    expect(await page.locator('pre.code').textContent()).toContain('</script><script>window.__xss = 3</script>');
    await open(page, site(fixture.dir, '#/lineage?tests=1'), 'lineage');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('works over HTTP from smelt docs serve, under its content security policy', async () => {
    const server = await serveDocs(join(fixture.dir, 'target/docs'), { port: 0 });
    try {
      await open(page, `${server.url}#/lineage`, 'lineage');
      expect(await page.locator('svg.graph g.node').count()).toBe(3);
      await open(page, `${server.url}#/node/model.fixture.customer_revenue`, 'node');
      expect(await page.locator('main h1').textContent()).toBe('customer_revenue');
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
