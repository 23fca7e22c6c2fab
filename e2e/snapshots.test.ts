import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { expectCleanFailure } from './support/expect-output.js';
import { dialects, fixtures, PG, type FixtureProject } from './support/project.js';
import { resultLines } from './support/test-output.js';

/*
 * dbt snapshots end to end, on every dialect: `{% snapshot %}` blocks and YAML snapshots, the
 * timestamp and check strategies, hard_deletes ignore / invalidate / new_record, ref() to a
 * snapshot, `smelt build` order, errors with file and line, and two runs at once.
 */
const fixture = fixtures();

/** Rows chosen by vars, so each run can change, add or remove some. */
const SOURCE = `select * from (values
  (1, 'a', 'open', cast('2024-01-01 10:00:00' as timestamp)),
  (2, 'b', '{{ var("status_2", "open") }}', cast('{{ var("updated_2", "2024-01-01 10:00:00") }}' as timestamp)),
  (3, 'c', 'open', cast('2024-01-01 10:00:00' as timestamp)),
  (4, 'd', 'open', cast('2024-01-02 10:00:00' as timestamp))
) as t(id, name, status, updated_at)
where id <= {{ var('max_id', 3) }}{% if var('drop_3', false) %} and id <> 3{% endif %}`;

function snapshotFile(name: string, config: string, body = SOURCE): string {
  return `-- A snapshot of the orders source.
{% snapshot ${name} %}
{{ config(${config}) }}
${body}
{% endsnapshot %}
`;
}

interface Row {
  id: number;
  status: string;
  valid_from: string | null;
  valid_to: string | null;
  is_deleted?: string;
}

async function rows(project: FixtureProject, table: string, deleted = false): Promise<Row[]> {
  const result = await project.query<Row>(
    `select id, status, cast(dbt_valid_from as varchar) as valid_from, cast(dbt_valid_to as varchar) as valid_to${deleted ? ', dbt_is_deleted as is_deleted' : ''}
       from ${project.schema}.${table} order by id, dbt_valid_from, dbt_valid_to nulls last`,
  );
  return result.map((r) => ({ ...r, id: Number(r.id), valid_from: r.valid_from?.slice(0, 19) ?? null, valid_to: r.valid_to?.slice(0, 19) ?? null }));
}

const current = (all: Row[]) => all.filter((r) => r.valid_to === null);

describe.each(await dialects())('snapshots on %s', (dialect) => {
  it('timestamp strategy: changed rows get a new version, the old one is closed at the new updated_at', async () => {
    const project = fixture(dialect, {
      'snapshots/orders_snapshot.sql': snapshotFile('orders_snapshot', "unique_key='id', strategy='timestamp', updated_at='updated_at'"),
      'models/open_orders.sql': "select id, status from {{ ref('orders_snapshot') }} where dbt_valid_to is null\n",
    });
    const first = await project.cli('snapshot');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(resultLines(first.stdout).map((l) => [l.status, l.kind, l.name])).toEqual([['OK', 'snapshot', 'orders_snapshot']]);
    expect(await rows(project, 'orders_snapshot')).toEqual([
      { id: 1, status: 'open', valid_from: '2024-01-01 10:00:00', valid_to: null },
      { id: 2, status: 'open', valid_from: '2024-01-01 10:00:00', valid_to: null },
      { id: 3, status: 'open', valid_from: '2024-01-01 10:00:00', valid_to: null },
    ]);
    // Nothing changed: nothing happens.
    expect((await project.cli('snapshot')).code).toBe(0);
    expect(await rows(project, 'orders_snapshot')).toHaveLength(3);

    // Row 2 changes, row 3 disappears (ignored by default), row 4 is new.
    const vars = '{status_2: shipped, updated_2: "2024-01-05 09:00:00", max_id: 4, drop_3: true}';
    expect((await project.cli('snapshot', '--vars', vars)).code).toBe(0);
    expect(await rows(project, 'orders_snapshot')).toEqual([
      { id: 1, status: 'open', valid_from: '2024-01-01 10:00:00', valid_to: null },
      { id: 2, status: 'open', valid_from: '2024-01-01 10:00:00', valid_to: '2024-01-05 09:00:00' },
      { id: 2, status: 'shipped', valid_from: '2024-01-05 09:00:00', valid_to: null },
      { id: 3, status: 'open', valid_from: '2024-01-01 10:00:00', valid_to: null },
      { id: 4, status: 'open', valid_from: '2024-01-02 10:00:00', valid_to: null },
    ]);
    // The same batch again changes nothing.
    expect((await project.cli('snapshot', '--vars', vars)).code).toBe(0);
    expect(await rows(project, 'orders_snapshot')).toHaveLength(5);

    // A snapshot is ref()-able and selectable; dbt's meta columns are there.
    expect((await project.cli('ls', '-s', 'resource_type:snapshot', '--output', 'name')).stdout.trim()).toBe('orders_snapshot');
    expect((await project.cli('run')).code).toBe(0);
    const open = await project.query<{ id: number; status: string }>(`select id, status from ${project.schema}.open_orders order by id`);
    expect(open.map((r) => [Number(r.id), r.status])).toEqual([[1, 'open'], [2, 'shipped'], [3, 'open'], [4, 'open']]);
    const columns = await project.query<{ column_name: string }>(`select column_name from information_schema.columns where table_schema = '${project.schema}' and table_name = 'orders_snapshot' order by ordinal_position`);
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'name', 'status', 'updated_at', 'dbt_scd_id', 'dbt_updated_at', 'dbt_valid_from', 'dbt_valid_to']);
    const ids = await project.query<{ n: number | string }>(`select count(distinct dbt_scd_id) as n from ${project.schema}.orders_snapshot`);
    expect(Number(ids[0]!.n)).toBe(5);
  });

  it('check strategy with hard_deletes=invalidate: a deleted row is closed, and opens again when it returns', async () => {
    const project = fixture(dialect, {
      'snapshots/orders.sql': snapshotFile('orders_check', "target_schema=target.schema, unique_key='id', strategy='check', check_cols=['status'], hard_deletes='invalidate'"),
    });
    expect((await project.cli('snapshot')).code).toBe(0);
    // A new updated_at alone is not a change for check_cols=['status'].
    expect((await project.cli('snapshot', '--vars', '{updated_2: "2024-02-01 00:00:00"}')).code).toBe(0);
    expect(await rows(project, 'orders_check')).toHaveLength(3);
    expect((await project.cli('snapshot', '--vars', '{status_2: shipped, drop_3: true}')).code).toBe(0);
    let all = await rows(project, 'orders_check');
    expect(current(all).map((r) => [r.id, r.status])).toEqual([[1, 'open'], [2, 'shipped']]);
    expect(all.filter((r) => r.id === 3).map((r) => r.valid_to === null)).toEqual([false]);
    // Row 3 comes back: a new version opens.
    expect((await project.cli('snapshot', '--vars', '{status_2: shipped}')).code).toBe(0);
    all = await rows(project, 'orders_check');
    expect(current(all).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(all.filter((r) => r.id === 3)).toHaveLength(2);
  });

  it('check strategy with updated_at: versions start and end at the rows\' updated_at, as dbt does', async () => {
    const project = fixture(dialect, {
      'snapshots/orders.sql': snapshotFile('orders_check_at', "target_schema=target.schema, unique_key='id', strategy='check', check_cols=['status'], updated_at='updated_at'"),
    });
    expect((await project.cli('snapshot')).code).toBe(0);
    expect((await project.cli('snapshot', '--vars', '{status_2: shipped, updated_2: "2024-02-01 00:00:00"}')).code).toBe(0);
    const versions = (await rows(project, 'orders_check_at')).filter((r) => r.id === 2);
    expect(versions.map((r) => [r.status, r.valid_from, r.valid_to])).toEqual([
      ['open', '2024-01-01 10:00:00', '2024-02-01 00:00:00'],
      ['shipped', '2024-02-01 00:00:00', null],
    ]);
  });

  it('hard_deletes=new_record records deletions as rows with dbt_is_deleted, from YAML too', async () => {
    const project = fixture(dialect, {
      'models/src.sql': SOURCE,
      'snapshots/snapshots.yml': `version: 2
snapshots:
  - name: orders_history
    relation: ref('src')
    description: Every version of every order.
    config:
      unique_key: id
      strategy: timestamp
      updated_at: updated_at
      hard_deletes: new_record
`,
    });
    const build = await project.cli('build');
    expect(build.code, build.stdout + build.stderr).toBe(0);
    // The snapshot is built after the model it reads.
    expect(resultLines(build.stdout).map((l) => l.name)).toEqual(['src', 'orders_history']);
    expect((await project.cli('build', '--vars', '{drop_3: true}')).code).toBe(0);
    let all = await rows(project, 'orders_history', true);
    expect(all.filter((r) => r.id === 3).map((r) => [r.is_deleted, r.valid_to === null])).toEqual([['False', false], ['True', true]]);
    // A second run without row 3 adds no second deletion record.
    expect((await project.cli('build', '--vars', '{drop_3: true}')).code).toBe(0);
    expect(await rows(project, 'orders_history', true)).toHaveLength(4);
    // Row 3 returns: the deletion record is closed, a live version opens.
    expect((await project.cli('build')).code).toBe(0);
    all = await rows(project, 'orders_history', true);
    // As in dbt, the returning row is valid from its own updated_at, which may precede the deletion record.
    const three = all.filter((r) => r.id === 3).map((r) => `${r.is_deleted} ${r.valid_to === null ? 'open' : 'closed'}`);
    expect(three.sort()).toEqual(['False closed', 'False open', 'True closed']);
    expect(current(all).map((r) => [r.id, r.is_deleted])).toEqual([[1, 'False'], [2, 'False'], [3, 'False']]);
  });

  it('adds columns that appear in the query; refuses duplicate keys and leaves the snapshot unchanged', async () => {
    const project = fixture(dialect, {
      'snapshots/orders.sql': snapshotFile('orders_snapshot', "unique_key='id', strategy='timestamp', updated_at='updated_at'"),
    });
    expect((await project.cli('snapshot')).code).toBe(0);
    project.write({ 'snapshots/orders.sql': snapshotFile('orders_snapshot', "unique_key='id', strategy='timestamp', updated_at='updated_at'", `select s.*, 'web' as channel from (${SOURCE}) as s`) });
    expect((await project.cli('snapshot', '--vars', '{max_id: 4}')).code).toBe(0);
    const channels = await project.query<{ id: number; channel: string | null }>(`select id, channel from ${project.schema}.orders_snapshot order by id`);
    expect(channels.map((r) => [Number(r.id), r.channel])).toEqual([[1, null], [2, null], [3, null], [4, 'web']]);

    project.write({ 'snapshots/orders.sql': snapshotFile('orders_snapshot', "unique_key='id', strategy='timestamp', updated_at='updated_at'", `select * from (${SOURCE}) as s union all select * from (${SOURCE}) as s2 where id = 1`) });
    const duplicated = await project.cli('snapshot');
    expectCleanFailure(duplicated, 1);
    expect(duplicated.stdout).toContain('1 unique_key value on more than one row (id)');
    expect(duplicated.stdout).toContain('snapshots/orders.sql:2');
    expect(await rows(project, 'orders_snapshot')).toHaveLength(4);
  });

  it('compiles snapshots into the manifest: resource type, schema, line, depends_on', async () => {
    const project = fixture(dialect, {
      'models/src.sql': SOURCE,
      'snapshots/nested/two.sql': `{% snapshot first_snap %}\n{{ config(target_schema='snaps', unique_key='id', strategy='check', check_cols='all') }}\nselect * from {{ ref('src') }}\n{% endsnapshot %}\n\n{% snapshot second_snap %}\n{{ config(schema='hist', unique_key='id', strategy='check', check_cols='all') }}\nselect * from {{ ref('first_snap') }}\n{% endsnapshot %}\n`,
    });
    expect((await project.cli('compile')).code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(project.dir, 'target/manifest.json'), 'utf8')) as { nodes: Record<string, Record<string, unknown>> };
    const first = manifest.nodes['snapshot.fixture.first_snap']!;
    const second = manifest.nodes['snapshot.fixture.second_snap']!;
    expect(first).toMatchObject({ resourceType: 'snapshot', path: 'snapshots/nested/two.sql', startLine: 1, fqn: ['fixture', 'nested', 'first_snap'], relation: { schema: 'snaps', identifier: 'first_snap' } });
    expect(first.rawSql).toMatch(/^\{\{ config\(target_schema='snaps'/);
    expect(first.dependsOn).toMatchObject({ nodes: ['model.fixture.src'] });
    expect(second).toMatchObject({ startLine: 6, relation: { schema: project.schemaFor('hist') }, dependsOn: { nodes: ['snapshot.fixture.first_snap'] } });
    expect(first.compiledSql).toMatch(/^select \* from /);
  });

  it('names a unique_key or check_cols column the query does not return, at the snapshot, first build or later', async () => {
    const project = fixture(dialect, {
      'snapshots/a.sql': snapshotFile('bad_key', "target_schema=target.schema, unique_key='idd', strategy='timestamp', updated_at='updated_at'"),
      'snapshots/b.sql': snapshotFile('bad_check', "target_schema=target.schema, unique_key='id', strategy='check', check_cols=['status', 'nope']"),
    });
    const result = await project.cli('snapshot');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/Snapshot bad_key: unique_key column 'idd' is not returned by its query \(id, name, status, updated_at\)/);
    expect(result.stdout).toMatch(/Snapshot bad_check: check_cols column 'nope' is not returned by its query/);
    expect(result.stdout).toMatch(/snapshots\/a\.sql:\d+/);
    expect(result.stdout).not.toMatch(/Binder Error|does not exist/);
    // On a snapshot built before, too: updated_at is checked before the step stages the query.
    project.write({ 'snapshots/a.sql': snapshotFile('bad_key', "target_schema=target.schema, unique_key='id', strategy='timestamp', updated_at='updated_at'"), 'snapshots/b.sql': snapshotFile('bad_check', "target_schema=target.schema, unique_key='id', strategy='check', check_cols=['status']") });
    expect((await project.cli('snapshot')).code).toBe(0);
    project.write({ 'snapshots/a.sql': snapshotFile('bad_key', "target_schema=target.schema, unique_key='id', strategy='timestamp', updated_at='changed_at'") });
    const later = await project.cli('snapshot');
    expect(later.code).toBe(1);
    expect(later.stdout).toMatch(/Snapshot bad_key: updated_at column 'changed_at' is not returned by its query/);
  });

  it('reports a snapshot without strategy or an unclosed block at its file and line', async () => {
    const project = fixture(dialect, {
      'snapshots/bad.sql': `\n{% snapshot no_strategy %}\n{{ config(unique_key='id') }}\nselect 1 as id\n{% endsnapshot %}\n`,
      'snapshots/open.sql': `{% snapshot unclosed %}\nselect 1 as id\n`,
    });
    const result = await project.cli('snapshot');
    expectCleanFailure(result, 2);
    expect(result.stderr).toContain('Snapshot no_strategy has no strategy');
    expect(result.stderr).toContain('snapshots/bad.sql:2');
    expect(result.stderr).toContain('Snapshot unclosed has no {% endsnapshot %}');
    expect(result.stderr).toContain('snapshots/open.sql:1');
  });
});

describe.each((await dialects()).filter((d) => d === 'postgres'))('concurrent snapshots on %s', (dialect) => {
  it('two runs at once never leave two current rows for a key', async () => {
    const project = fixture(dialect, {
      'snapshots/orders.sql': snapshotFile('orders_snapshot', "unique_key='id', strategy='check', check_cols='all', hard_deletes='new_record'"),
    });
    const twice = async (...args: string[]) => {
      const results = await Promise.all([project.cli('snapshot', '--wait', '60', ...args), project.cli('snapshot', '--wait', '60', ...args)]);
      for (const r of results) expect(r.code, r.stdout + r.stderr).toBe(0);
    };
    const currentPerKey = async () =>
      (await project.query<{ id: number; n: number | string }>(`select id, count(*) as n from ${project.schema}.orders_snapshot where dbt_valid_to is null group by id order by id`))
        .map((r) => [Number(r.id), Number(r.n)]);
    await twice();
    expect(await currentPerKey()).toEqual([[1, 1], [2, 1], [3, 1]]);
    await twice('--vars', '{status_2: shipped, max_id: 4, drop_3: true}');
    expect(await currentPerKey()).toEqual([[1, 1], [2, 1], [3, 1], [4, 1]]);
    const versions = await project.query<{ n: number | string }>(`select count(*) as n from ${project.schema}.orders_snapshot`);
    // 3 first rows + row 2's new version + row 3's deletion record + row 4.
    expect(Number(versions[0]!.n)).toBe(6);
  });

  it('another session holding the snapshot lock (another process) makes a run wait for it', async () => {
    const project = fixture(dialect, {
      'snapshots/orders.sql': snapshotFile('orders_snapshot', "unique_key='id', strategy='timestamp', updated_at='updated_at'"),
    });
    expect((await project.cli('snapshot')).code).toBe(0);
    const other = new pg.Client(PG);
    await other.connect();
    try {
      await other.query('begin');
      await other.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`smelt: snapshot "${project.schema}"."orders_snapshot"`]);
      let finished = false;
      const run = project.cli('snapshot', '--vars', '{max_id: 4}').then((r) => ((finished = true), r));
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(finished).toBe(false);
      await other.query('commit');
      expect((await run).code).toBe(0);
    } finally {
      await other.end();
    }
    expect((await rows(project, 'orders_snapshot')).map((r) => r.id)).toEqual([1, 2, 3, 4]);
  });
});
