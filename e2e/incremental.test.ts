import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectCleanFailure } from './support/expect-output.js';
import { dialects, fixtures, type FixtureProject } from './support/project.js';

/*
 * Incremental models and state-based runs, end to end on every dialect: each strategy, the
 * NULL-key guard, on_schema_change, --full-refresh, transactional failure, state:modified and
 * run --changed with breaking / non-breaking classification.
 */
const fixture = fixtures();

/** Source rows are chosen by a var, so each run can "land" a new batch. */
const SOURCE = `select * from (values
  (1, 'a', 10),
  (2, 'b', 20),
  (3, 'c', {{ var('amount_3', 30) }}),
  (4, {{ var('name_4', "'d'") }}, 40)
) as t(id, name, amount)
where id <= {{ var('max_id', 2) }}
`;

function incrementalModel(config: string, extraColumn = false): string {
  return `{{ config(materialized='incremental'${config}) }}
select id, name, amount${extraColumn ? ", 'x' as note" : ''}
from {{ ref('src') }}
{% if is_incremental() %}where id >= (select max(id) from {{ this }}){% endif %}
`;
}

type Row = { id: number; name: string | null; amount: number };

async function rows(project: FixtureProject, table = 'events'): Promise<Row[]> {
  const result = await project.query<Row>(`select id, name, cast(amount as integer) as amount from ${project.schema}.${table} order by id, name`);
  return result.map((r) => ({ id: Number(r.id), name: r.name, amount: Number(r.amount) }));
}

/** The SQL the last run sent for the `events` model, its notes in the run state, and a run that must succeed. */
function eventsModel(project: FixtureProject) {
  return {
    sent: () => readFileSync(join(project.dir, 'target/run/fixture/models/events.sql'), 'utf8'),
    notes: () => (JSON.parse(readFileSync(join(project.dir, 'target/state/dev.json'), 'utf8')) as { nodes: Record<string, { notes?: Record<string, unknown> }> }).nodes['model.fixture.events']?.notes,
    run: async (vars: string) => {
      const result = await project.cli('run', '--vars', vars);
      expect(result.code, result.stdout + result.stderr).toBe(0);
    },
  };
}

describe.each(await dialects())('incremental models on %s', (dialect) => {
  it('append adds the new batch, including the overlapping row', async () => {
    const project = fixture(dialect, { 'models/src.sql': SOURCE, 'models/events.sql': incrementalModel('') });
    expect((await project.cli('run')).code).toBe(0);
    expect(await rows(project)).toHaveLength(2);
    const second = await project.cli('run', '--vars', '{max_id: 3}');
    expect(second.code, second.stderr).toBe(0);
    // id >= max(id) re-selects id 2: append duplicates it, as dbt's append does.
    expect((await rows(project)).map((r) => r.id)).toEqual([1, 2, 2, 3]);
    // The is_incremental() render's template code is kept for the next run (a small project's
    // template cache), which renders the same from it.
    const cache = JSON.parse(readFileSync(join(project.dir, 'target/partial/templates.json'), 'utf8')) as { templates: Record<string, string> };
    expect(Object.values(cache.templates).some((code) => code.includes('is_incremental'))).toBe(true);
    expect((await project.cli('run', '--vars', '{max_id: 4}')).code).toBe(0);
    expect((await rows(project)).map((r) => r.id)).toEqual([1, 2, 2, 3, 3, 4]);
  });

  it('append without a unique_key (batch staged as a temp view) keeps on_schema_change and atomicity', async () => {
    const project = fixture(dialect, { 'models/src.sql': SOURCE, 'models/events.sql': incrementalModel(`, on_schema_change='fail'`) });
    expect((await project.cli('run')).code).toBe(0);
    project.write({ 'models/events.sql': incrementalModel(`, on_schema_change='fail'`, true) });
    const refused = await project.cli('run', '--vars', '{max_id: 3}');
    expectCleanFailure(refused, 1);
    expect(refused.stdout).toMatch(/columns of events changed \(added note\)/);
    // The batch now runs inside the insert: its error must still leave the table as it was.
    project.write({ 'models/events.sql': incrementalModel('') });
    expectCleanFailure(await project.cli('run', '--vars', `{max_id: 3, amount_3: "'not a number' + 1"}`), 1);
    expect(await rows(project)).toHaveLength(2);
    // ignore: the new column is left out, the rows go in.
    project.write({ 'models/events.sql': incrementalModel('', true) });
    expect((await project.cli('run', '--vars', '{max_id: 3}')).code).toBe(0);
    expect((await rows(project)).map((r) => r.id)).toEqual([1, 2, 2, 3]);
  });

  it.each(['merge', 'delete+insert'])('%s updates matched keys and inserts new ones', async (strategy) => {
    const project = fixture(dialect, { 'models/src.sql': SOURCE, 'models/events.sql': incrementalModel(`, unique_key='id', incremental_strategy='${strategy}'`) });
    expect((await project.cli('run')).code).toBe(0);
    const second = await project.cli('run', '--vars', '{max_id: 3, amount_3: 33}');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('incremental');
    expect(await rows(project)).toEqual([
      { id: 1, name: 'a', amount: 10 },
      { id: 2, name: 'b', amount: 20 },
      { id: 3, name: 'c', amount: 33 },
    ]);
    // Loading the same batch again changes nothing.
    expect((await project.cli('run', '--vars', '{max_id: 3, amount_3: 33}')).code).toBe(0);
    expect(await rows(project)).toHaveLength(3);
  });

  it('merge on a composite key', async () => {
    const project = fixture(dialect, { 'models/src.sql': SOURCE, 'models/events.sql': incrementalModel(`, unique_key=['id', 'name'], incremental_strategy='merge'`) });
    expect((await project.cli('run')).code).toBe(0);
    expect((await project.cli('run', '--vars', '{max_id: 3, amount_3: 31}')).code).toBe(0);
    expect((await rows(project)).find((r) => r.id === 3)?.amount).toBe(31);
  });

  it.each(['merge', 'delete+insert'])('%s of a small batch into a larger table, composite key and incremental_predicates', async (strategy) => {
    // 40 rows, then 2 changed and 1 new: on PostgreSQL the batch is small enough to be looked
    // up through the unique_key index (planApply's lookup), which must change no result.
    const project = fixture(dialect, {
      'models/src.sql': `select i as id, i % 3 as grp, case when i in (7, 8) then {{ var('bump', 0) }} else 0 end + i as amount
from generate_series(1, {{ var('n', 40) }}) as g(i)\n`,
      'models/events.sql': `{{ config(materialized='incremental', unique_key=['id', 'grp'], incremental_strategy='${strategy}', incremental_predicates=['DBT_INTERNAL_DEST.amount >= 0']) }}
select id, grp, amount from {{ ref('src') }}
{% if is_incremental() %}where id in (7, 8) or id > (select max(id) from {{ this }}){% endif %}\n`,
    });
    expect((await project.cli('run')).code).toBe(0);
    const second = await project.cli('run', '--vars', '{n: 41, bump: 100}');
    expect(second.code, second.stderr).toBe(0);
    const result = await project.query<{ id: number; amount: number }>(`select id, cast(amount as integer) as amount from ${project.schema}.events order by id`);
    expect(result.map((r) => Number(r.id))).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    expect(result.filter((r) => Number(r.amount) !== Number(r.id)).map((r) => [Number(r.id), Number(r.amount)])).toEqual([[7, 107], [8, 108]]);
    if (dialect === 'postgres') {
      const sent = readFileSync(join(project.dir, 'target/run/fixture/models/events.sql'), 'utf8');
      expect(sent).toContain('= any(array(select "id" from "pg_temp".');
    }
  });

  it('append ignores unique_key as dbt does: NULL keys are appended, the batch is not staged on DuckDB', async () => {
    const project = fixture(dialect, { 'models/src.sql': SOURCE, 'models/events.sql': incrementalModel(`, unique_key='name', incremental_strategy='append'`) });
    expect((await project.cli('run')).code).toBe(0);
    const result = await project.cli('run', '--vars', '{max_id: 4, name_4: "null"}');
    expect(result.code, result.stdout).toBe(0);
    expect((await rows(project)).map((r) => [r.id, r.name])).toEqual([[1, 'a'], [2, 'b'], [2, 'b'], [3, 'c'], [4, null]]);
    const sent = readFileSync(join(project.dir, 'target/run/fixture/models/events.sql'), 'utf8');
    if (dialect === 'duckdb') {
      expect(sent).not.toMatch(/create temp/);
      expect(sent).toMatch(/insert into .*\nselect .* from \(\n/);
    } else {
      expect(sent).toMatch(/create temp view/);
    }
  });

  it('delete+insert on DuckDB: keys above the table\'s largest are one insert, other new keys one MERGE, keys the table has are staged; the rows are the same', async () => {
    const model = `{{ config(materialized='incremental', unique_key='id') }}
select id, name, amount from {{ ref('src') }}
{% if is_incremental() %}where id >= {{ var('from_id', 0) }}{% endif %}
{% if var('twice', false) %}union all select id, name, amount from {{ ref('src') }} where id = 3{% endif %}
`;
    const project = fixture(dialect, { 'models/src.sql': SOURCE, 'models/events.sql': model });
    const { sent, notes, run } = eventsModel(project);
    const ascending = /SMELT_LARGEST_KEY/;
    const straight = /when matched then error 'smelt: the batch has a key the table already has'/;
    const duck = dialect === 'duckdb';
    expect((await project.cli('run')).code).toBe(0);
    // Keys above the table's largest: on DuckDB one insert from the query, nothing staged.
    await run('{max_id: 3, from_id: 3}');
    expect((await rows(project)).map((r) => [r.id, r.amount])).toEqual([[1, 10], [2, 20], [3, 30]]);
    if (duck) {
      expect(sent()).toMatch(ascending);
      expect(sent()).not.toMatch(/create temp table|merge into/);
      expect(notes()).toEqual({ ascendingKeys: true, newKeysOnly: true });
    } else {
      expect(sent()).toMatch(/create temp table/);
      expect(notes()).toEqual({ newKeysOnly: true });
    }
    // Keys the table has: on DuckDB the insert fails (2 is not above 3), then the MERGE of new
    // keys fails, and the step runs again staged.
    await run('{max_id: 3, from_id: 2, amount_3: 33}');
    expect((await rows(project)).map((r) => [r.id, r.amount])).toEqual([[1, 10], [2, 20], [3, 33]]);
    if (duck) {
      expect(sent()).toMatch(ascending);
      expect(sent()).toMatch(straight);
      expect(sent().match(/-- rolled back/g)).toHaveLength(2);
    }
    expect(sent()).toMatch(/create temp table[\s\S]*delete from/);
    expect(notes()).toEqual(duck ? { ascendingKeys: false, ascendingMisses: 1, ascendingRetryIn: 1, newKeysOnly: false } : { newKeysOnly: false });
    // After that, the next step skips both tries and is staged straight away; it deletes
    // nothing, so the one after tries the MERGE again, and the insert too (its one skip is over).
    await run('{max_id: 4, from_id: 4}');
    expect(sent()).not.toMatch(straight);
    expect(sent()).not.toMatch(ascending);
    expect(notes()).toEqual(duck ? { ascendingKeys: false, ascendingMisses: 1, ascendingRetryIn: 0, newKeysOnly: true } : { newKeysOnly: true });
    // A batch with the same key twice, a key the table has: both rows replace the old one.
    await run('{max_id: 3, from_id: 3, twice: true}');
    expect((await rows(project)).map((r) => [r.id, r.amount])).toEqual([[1, 10], [2, 20], [3, 30], [3, 30], [4, 40]]);
    if (duck) {
      expect(sent()).toMatch(ascending);
      expect(sent()).toMatch(straight);
    }
    // A second miss in a row: two steps are skipped before the next try.
    const missedTwice = duck ? { ascendingKeys: false, ascendingMisses: 2, ascendingRetryIn: 2, newKeysOnly: false } : { newKeysOnly: false };
    expect(notes()).toEqual(missedTwice);
    // The notes are about the model's batches, not the table's rows: a full refresh keeps them.
    expect((await project.cli('run', '--full-refresh')).code).toBe(0);
    expect(notes()).toEqual(missedTwice);
  });

  it.each(['merge', 'delete+insert'])('%s of keys above the table\'s largest: an empty table, a key repeated in the batch, a NULL key the model filters out, a retyped key', async (strategy) => {
    // The source always has a row with a NULL key, which the model's own filter drops.
    const source = `select * from (values (1, 'a', 10), (2, 'b', 20), (null, 'old', 0), (3, 'c', 30), (4, 'd', 40), (5, 'e', 50)) as t(id, name, amount)
where id is null or id <= {{ var('max_id', 2) }}\n`;
    const model = `{{ config(materialized='incremental', unique_key='id', incremental_strategy='${strategy}') }}
select {{ var('key_cast', 'id') }} as id, name, amount from {{ ref('src') }}
where id >= {{ var('from_id', 0) }}
{% if var('twice', false) %}union all select id, 'again', amount from {{ ref('src') }} where id = 4{% endif %}
`;
    const project = fixture(dialect, { 'models/src.sql': source, 'models/events.sql': model });
    const { sent, notes, run } = eventsModel(project);
    const duck = dialect === 'duckdb';
    // On DuckDB: one insert, not rolled back.
    const straightIn = () => {
      if (!duck) return;
      expect(sent()).toMatch(/SMELT_LARGEST_KEY/);
      expect(sent()).not.toMatch(/-- rolled back|merge into|create temp/);
      expect(notes()).toMatchObject({ ascendingKeys: true });
    };
    // An empty table has no largest key: every batch key is above it.
    expect((await project.cli('run', '--vars', '{from_id: 9}')).code).toBe(0);
    expect(await rows(project)).toEqual([]);
    await run('{max_id: 2, from_id: 1}');
    expect((await rows(project)).map((r) => r.id)).toEqual([1, 2]);
    straightIn();
    // The same new key twice in one batch: both rows are inserted, as MERGE and delete+insert do.
    await run('{max_id: 4, from_id: 3, twice: true}');
    expect((await rows(project)).map((r) => [r.id, r.name])).toEqual([[1, 'a'], [2, 'b'], [3, 'c'], [4, 'again'], [4, 'd']]);
    straightIn();
    // The key's type differs from the table's: no order to go by, so the strategy as it is,
    // and the try waits the most steps.
    await run(`{max_id: 5, from_id: 5, key_cast: 'cast(id as bigint)'}`);
    expect((await rows(project)).map((r) => r.id)).toEqual([1, 2, 3, 4, 4, 5]);
    if (duck) {
      expect(sent()).toMatch(/-- rolled back: not tried as keys above the table's largest: id is INTEGER in the table and BIGINT in the batch/);
      expect(notes()).toMatchObject({ ascendingKeys: false, ascendingRetryIn: 64 });
    }
  });

  it('refuses a batch with NULL unique keys and leaves the table unchanged', async () => {
    const project = fixture(dialect, { 'models/src.sql': SOURCE, 'models/events.sql': incrementalModel(`, unique_key=['id', 'name'], incremental_strategy='merge'`) });
    expect((await project.cli('run', '--vars', '{max_id: 3}')).code).toBe(0);
    const before = await rows(project);
    const result = await project.cli('run', '--vars', '{max_id: 4, name_4: "null"}');
    expectCleanFailure(result, 1);
    expect(result.stdout).toMatch(/1 new row has a NULL in the unique_key \(id, name\)/);
    expect(await rows(project)).toEqual(before);
    // DuckDB merges straight from the query, the guard inside the MERGE; PostgreSQL stages it.
    expect((await project.cli('run', '--vars', '{max_id: 4}')).code).toBe(0);
    expect((await rows(project)).map((r) => r.id)).toEqual([1, 2, 3, 4]);
    const sent = readFileSync(join(project.dir, 'target/run/fixture/models/events.sql'), 'utf8');
    if (dialect === 'duckdb') expect(sent).toMatch(/then error 'smelt: a new row has a NULL in the unique_key'/);
    else expect(sent).toMatch(/create temp table/);
  });

  it('on_schema_change: fail keeps the table; append_new_columns adds the column; sync_all_columns drops one', async () => {
    const project = fixture(dialect, { 'models/src.sql': SOURCE, 'models/events.sql': incrementalModel(`, unique_key='id', on_schema_change='fail'`) });
    expect((await project.cli('run')).code).toBe(0);
    project.write({ 'models/events.sql': incrementalModel(`, unique_key='id', on_schema_change='fail'`, true) });
    const failed = await project.cli('run', '--vars', '{max_id: 3}');
    expectCleanFailure(failed, 1);
    expect(failed.stdout).toMatch(/columns of events changed \(added note\)/);
    expect(await rows(project)).toHaveLength(2);

    project.write({ 'models/events.sql': incrementalModel(`, unique_key='id', on_schema_change='append_new_columns'`, true) });
    expect((await project.cli('run', '--vars', '{max_id: 3}')).code).toBe(0);
    const noted = await project.query<{ id: number; note: string | null }>(`select id, note from ${project.schema}.events order by id`);
    expect(noted.map((r) => r.note)).toEqual([null, 'x', 'x']);

    project.write({ 'models/events.sql': incrementalModel(`, unique_key='id', on_schema_change='sync_all_columns'`) });
    expect((await project.cli('run', '--vars', '{max_id: 3}')).code).toBe(0);
    const columns = await project.query<{ column_name: string }>(`select column_name from information_schema.columns where table_schema = '${project.schema}' and table_name = 'events' order by ordinal_position`);
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'name', 'amount']);
  });

  it('a unique_key written in upper case names the lower-case column, as dbt reads it unquoted', async () => {
    const project = fixture(dialect, { 'models/src.sql': SOURCE, 'models/events.sql': incrementalModel(`, unique_key='ID', incremental_strategy='merge'`) });
    const first = await project.cli('run');
    expect(first.code, first.stdout).toBe(0);
    const second = await project.cli('run', '--vars', '{max_id: 3, amount_3: 33}');
    expect(second.code, second.stdout).toBe(0);
    expect((await rows(project)).map((r) => [r.id, r.amount])).toEqual([[1, 10], [2, 20], [3, 33]]);
    expect((await project.cli('run', '--full-refresh')).code).toBe(0);
  });

  it('sync_all_columns retypes a text column that holds numbers to integer (a cast PostgreSQL does not do on its own)', async () => {
    const model = (type: string) => `{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge', on_schema_change='sync_all_columns') }}
select id, cast(cast(amount as integer) as ${type}) as v from {{ ref('src') }}
{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}
`;
    const project = fixture(dialect, { 'models/src.sql': SOURCE, 'models/events.sql': model('varchar') });
    expect((await project.cli('run')).code).toBe(0);
    project.write({ 'models/events.sql': model('integer') });
    const result = await project.cli('run', '--vars', '{max_id: 3}');
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout + result.stderr).toMatch(/retyped v/);
    const values = await project.query<{ v: number }>(`select v + 1 as v from ${project.schema}.events order by id`);
    expect(values.map((r) => Number(r.v))).toEqual([11, 21, 31]);
  });

  it('--full-refresh rebuilds from scratch; a failing step leaves the table as it was', async () => {
    const project = fixture(dialect, { 'models/src.sql': SOURCE, 'models/events.sql': incrementalModel(`, unique_key='id'`) });
    expect((await project.cli('run', '--vars', '{max_id: 3}')).code).toBe(0);
    expect((await project.cli('run', '--full-refresh')).code).toBe(0);
    expect(await rows(project)).toHaveLength(2);
    // A type error in the new batch: the incremental step fails inside its transaction.
    const broken = await project.cli('run', '--vars', `{max_id: 3, amount_3: "'not a number' + 1"}`);
    expectCleanFailure(broken, 1);
    expect(await rows(project)).toHaveLength(2);
  });
});

describe.each(await dialects())('indexes on %s', (dialect) => {
  it("builds dbt's `indexes` config, and on PostgreSQL an index on an incremental unique_key", async () => {
    const project = fixture(dialect, {
      'models/src.sql': SOURCE,
      'models/events.sql': incrementalModel(`, unique_key='id', indexes=[{'columns': ['name']}]`),
    });
    expect((await project.cli('run')).code).toBe(0);
    const indexes = dialect === 'postgres'
      ? await project.query<{ name: string }>(`select indexname as name from pg_indexes where schemaname = '${project.schema}' and tablename = 'events' order by 1`)
      : await project.query<{ name: string }>(`select index_name as name from duckdb_indexes() where table_name = 'events' order by 1`);
    expect(indexes.map((i) => i.name)).toEqual(dialect === 'postgres' ? ['events__id_idx', 'events__name_idx'] : ['events__name_idx']);
    // Rebuilt by --full-refresh, the indexes come back under the same names.
    expect((await project.cli('run', '--full-refresh')).code).toBe(0);
    expect((await project.cli('run', '--vars', '{max_id: 3}')).code).toBe(0);
  });
});

describe.each(await dialects())('state-based runs on %s', (dialect) => {
  const files = {
    'models/a.sql': 'select 1 as id, 10 as amount\n',
    'models/b.sql': "select id, amount from {{ ref('a') }}\n",
    'models/c.sql': "select id from {{ ref('b') }}\n",
    'models/other.sql': 'select 2 as x\n',
  };

  it('run --changed builds only what changed and what a breaking change affects', async () => {
    const project = fixture(dialect, files);
    const first = await project.cli('run', '--changed');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('No earlier build');

    const noop = await project.cli('run', '--changed');
    expect(noop.code).toBe(0);
    expect(noop.stdout).toContain('Nothing to do: every selected model is up to date.');

    // A column added at the end is non-breaking: b and c are left alone.
    project.write({ 'models/a.sql': "select 1 as id, 10 as amount, 'new' as note\n" });
    const additive = await project.cli('run', '--changed');
    expect(additive.code, additive.stderr).toBe(0);
    expect(additive.stdout).toMatch(/modified\s+a\s+non-breaking\s+column added at the end: note/);
    expect(additive.stdout).toContain('Running 1 model');

    // Changed logic is breaking: everything downstream is rebuilt.
    project.write({ 'models/a.sql': "select 1 as id, 11 as amount, 'new' as note\n" });
    const breaking = await project.cli('run', '--changed');
    expect(breaking.stdout).toMatch(/modified\s+a\s+breaking\s+the query logic changed/);
    expect(breaking.stdout).toContain('Running 3 models');
    expect(breaking.stdout).not.toMatch(/\bother\b/);

    // A relation dropped behind smelt's back is rebuilt.
    await project.query(`drop ${dialect === 'duckdb' ? 'view' : 'view'} ${project.schema}.other`);
    const missing = await project.cli('run', '--changed');
    expect(missing.stdout).toMatch(/missing\s+other/);

    // A missing view with models downstream (DuckDB's views bind by name, so one can go alone):
    // rebuilt alone, and nothing is stale after it.
    if (dialect === 'duckdb') {
      await project.query(`drop view ${project.schema}.b`);
      const view = await project.cli('run', '--changed');
      expect(view.stdout).toMatch(/missing\s+b/);
      expect(view.stdout).toContain('Running 1 model');
      expect((await project.cli('run', '--changed')).stdout).toContain('Nothing to do');
    }
  });

  it('run --changed rebuilds what a failed run or a partial run left built before a breaking change upstream', async () => {
    // c fails while the raw table it reads holds text that is not a number.
    const project = fixture(dialect, {
      ...files,
      'models/c.sql': `{{ config(materialized='table') }}\nselect b.id, b.amount, (select cast(v as integer) from ${dialect === 'duckdb' ? 'main' : '{{ target.schema }}'}.flag) as f from {{ ref('b') }} as b\n`,
      'models/d.sql': "select * from {{ ref('c') }}\n",
    });
    expect((await project.cli('run', '-s', 'a')).code).toBe(0);
    await project.query(`create table ${project.schema}.flag as select '1' as v`);
    expect((await project.cli('run')).code).toBe(0);
    await project.query(`update ${project.schema}.flag set v = 'x'`);
    project.write({ 'models/a.sql': 'select 1 as id, 20 as amount\n' });
    const failed = await project.cli('run', '--changed');
    expect(failed.code).toBe(1);
    // a and b were rebuilt; c failed and d was skipped: both are stale now.
    await project.query(`update ${project.schema}.flag set v = '1'`);
    const again = await project.cli('run', '--changed');
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/stale\s+c\s+breaking\s+built before the last breaking change to a/);
    expect(again.stdout).toContain('Running 2 models');
    const [row] = await project.query<{ amount: number }>(`select amount from ${project.schema}.d`);
    expect(Number(row!.amount)).toBe(20);
    expect((await project.cli('run', '--changed')).stdout).toContain('Nothing to do');
    // A run of one changed model alone leaves its downstream for the next --changed run.
    project.write({ 'models/a.sql': 'select 1 as id, 30 as amount\n' });
    expect((await project.cli('run', '-s', 'a')).code).toBe(0);
    const partial = await project.cli('run', '--changed');
    expect(partial.stdout).toMatch(/stale\s+b\s+breaking\s+built before the last breaking change to a/);
    expect(partial.stdout).toContain('Running 3 models');
  });

  it('run --changed rebuilds the models that select * from one that gained a column, and theirs', async () => {
    const project = fixture(dialect, {
      ...files,
      'models/wide.sql': "{{ config(materialized='table') }}\nselect * from {{ ref('a') }}\n",
      'models/wider.sql': "select w.*, 1 as one from {{ ref('wide') }} as w\n",
    });
    expect((await project.cli('run')).code).toBe(0);
    project.write({ 'models/a.sql': "select 1 as id, 10 as amount, 'new' as note\n" });
    const result = await project.cli('run', '--changed');
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/widened\s+wide\s+non-breaking\s+selects \* from a, which gained columns/);
    expect(result.stdout).toMatch(/widened\s+wider\s+non-breaking\s+selects \* from wide/);
    expect(result.stdout).toContain('Running 3 models');
    const [row] = await project.query<{ note: string }>(`select note from ${project.schema}.wider`);
    expect(row!.note).toBe('new');
  });

  it('run --changed retries a model selecting * whose rebuild for a new column failed', async () => {
    const flag = `${dialect === 'duckdb' ? 'main' : '{{ target.schema }}'}.flag`;
    const project = fixture(dialect, {
      ...files,
      'models/wide.sql': `{{ config(materialized='table') }}\nselect a.*, (select cast(v as integer) from ${flag}) as f from {{ ref('a') }} as a\n`,
    });
    expect((await project.cli('run', '-s', 'a')).code).toBe(0);
    await project.query(`create table ${project.schema}.flag as select '1' as v`);
    expect((await project.cli('run')).code).toBe(0);
    await project.query(`update ${project.schema}.flag set v = 'x'`);
    project.write({ 'models/a.sql': "select 1 as id, 10 as amount, 'new' as note\n" });
    expect((await project.cli('run', '--changed')).code).toBe(1);
    await project.query(`update ${project.schema}.flag set v = '1'`);
    const retried = await project.cli('run', '--changed');
    expect(retried.code, retried.stdout + retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(/widened\s+wide\s+non-breaking\s+selects \* from a, which gained columns since/);
    const [row] = await project.query<{ note: string }>(`select note from ${project.schema}.wide`);
    expect(row!.note).toBe('new');
    expect((await project.cli('run', '--changed')).stdout).toContain('Nothing to do');
  });

  it('state:modified+ selects changed models and their downstream (dbt semantics)', async () => {
    const project = fixture(dialect, files);
    expect((await project.cli('run')).code).toBe(0);
    expect((await project.cli('ls', '-s', 'state:modified', '--output', 'name')).stdout.trim()).toBe('');
    project.write({ 'models/b.sql': "select id, amount * 2 as amount from {{ ref('a') }}\n" });
    const listed = await project.cli('ls', '-s', 'state:modified+', '--output', 'name');
    expect(listed.stdout.trim().split('\n')).toEqual(['b', 'c']);
    const run = await project.cli('run', '-s', 'state:modified+');
    expect(run.stdout).toContain('Running 2 models');
  });
});
