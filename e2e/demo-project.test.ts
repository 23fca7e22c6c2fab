import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dialects, FixtureProject } from './support/project.js';

/*
 * The repository's own demo project (project.yml, models, seeds, macros, snapshots, tests, cdc),
 * built end to end on every dialect: every data test passes, and an incremental batch of order
 * lines followed by a second build adds exactly the new lines to fact_sales and nothing else.
 */
const ROOT = join(import.meta.dirname, '..');
const FOLDERS = ['models', 'seeds', 'macros', 'snapshots', 'tests', 'cdc'];

function projectFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else files[relative(ROOT, full)] = readFileSync(full, 'utf8');
    }
  };
  for (const folder of FOLDERS) walk(join(ROOT, folder));
  return files;
}

/** project.yml without its targets: FixtureProject appends its own. */
function projectYml(): string {
  const text = readFileSync(join(ROOT, 'project.yml'), 'utf8');
  return text.slice(0, text.search(/^target:/m));
}

const BATCHES = '{seed: raw_order_lines_since_2024_03_31, since: "2024-03-31 00:00:00", extracted_at: "2024-04-06 00:00:00"}';
const NEXT_BATCH = '{seed: raw_order_lines_since_2024_04_06, since: "2024-04-06 00:00:00", extracted_at: "2024-04-09 00:00:00"}';
// Five new lines of three new orders; customer 3 moved to NL on 2024-03-03 (its current version).
const NEXT_BATCH_CSV = `order_id,line_number,customer_id,product_id,quantity,unit_price,status,ordered_at
400,1,3,101,1,23.64,pending,2024-04-06 09:15:00
400,2,3,102,2,11.58,pending,2024-04-06 09:15:00
401,1,7,110,1,56.60,completed,2024-04-07 14:30:00
402,1,22,103,3,19.62,completed,2024-04-08 18:45:00
402,2,22,104,1,39.53,completed,2024-04-08 18:45:00
`;

type Line = { order_id: string; line_number: string; sales_key: string; customer_key: string; status: string; amount: string; _batch: string; _extracted_at: string };

const projects: FixtureProject[] = [];
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
});

describe.each(await dialects())('the demo project on %s', (dialect) => {
  it('builds with every test passing, then merges only the next batch of order lines', async () => {
    const project = new FixtureProject(dialect, {}, { projectYml: projectYml() });
    projects.push(project);
    const files = projectFiles();
    // Keep each run's change logs in its own schema (dropped by cleanup), not the shared shop_cdc.
    files['models/bronze/cdc_sources.yml'] = files['models/bronze/cdc_sources.yml'].replace('schema: shop_cdc', `schema: ${project.schemaFor('cdc')}`);
    project.write(files);
    const gold = project.schemaFor('gold');
    const lines = async (): Promise<Line[]> =>
      (await project.query<Line>(`select order_id, line_number, sales_key, customer_key, status, cast(amount as varchar) as amount, _batch, cast(_extracted_at as varchar) as _extracted_at
         from ${gold}.fact_sales order by order_id, line_number`)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])) as Line);

    const first = await project.cli('build');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).not.toMatch(/\b(FAIL|ERROR|SKIP|WARN)\b/);
    expect(first.stdout).toMatch(/Done\. \d+ ok, \d+ passed/);
    const before = await lines();
    expect(before.length).toBeGreaterThan(700);
    expect(new Set(before.map((l) => `${l.order_id}/${l.line_number}`)).size).toBe(before.length);
    // The since=2024-03-31 batch re-sent order 1's lines as shipped: latest extraction wins.
    expect(before.filter((l) => l.order_id === '1').map((l) => l.status)).toEqual(['shipped', 'shipped', 'shipped', 'shipped']);

    // A second build with nothing new changes nothing.
    const again = await project.cli('build');
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(await lines()).toEqual(before);

    // The next since= batch lands; the second build merges exactly its five lines.
    project.write({ 'seeds/raw_order_lines_since_2024_04_06.csv': NEXT_BATCH_CSV });
    const second = await project.cli('build', '--vars', `{order_line_batches: [${BATCHES}, ${NEXT_BATCH}]}`);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).not.toMatch(/\b(FAIL|ERROR|SKIP|WARN)\b/);
    const after = await lines();
    expect(after).toHaveLength(before.length + 5);
    expect(new Set(after.map((l) => `${l.order_id}/${l.line_number}`)).size).toBe(after.length);
    const old = new Set(before.map((l) => l.sales_key));
    expect(after.filter((l) => old.has(l.sales_key))).toEqual(before);
    const added = after.filter((l) => !old.has(l.sales_key));
    expect(added.map((l) => `${l.order_id}/${l.line_number}`)).toEqual(['400/1', '400/2', '401/1', '402/1', '402/2']);
    expect(new Set(added.map((l) => l._batch))).toEqual(new Set(['since=2024-04-06 00:00:00']));
    // Customer 3's order joins its current (NL) version.
    const [version] = await project.query<{ country_code: string; is_current: boolean }>(
      `select country_code, is_current from ${gold}.dim_customers where customer_key = '${added[0].customer_key}'`);
    expect(version.country_code).toBe('NL');
    expect(String(version.is_current)).toBe('true');
    // Gold revenue still equals silver revenue.
    const [totals] = await project.query<{ gold: string; silver: string }>(
      `select (select cast(sum(amount) as varchar) from ${gold}.fact_sales) as gold, (select cast(sum(amount) as varchar) from ${project.schemaFor('silver')}.slv_order_lines) as silver`);
    expect(totals.gold).toBe(totals.silver);
  }, 240_000);
});
