import { afterAll, describe, expect, it } from 'vitest';
import { createSqlParser } from '../adapters/sql-parser.js';
import { classifyChange } from './classify-change.js';

const parser = await createSqlParser();
afterAll(() => parser.close());

const classify = (before: string, after: string) => classifyChange(parser, before, after);

describe('classifyChange', () => {
  it('calls a column added at the end non-breaking, and changed logic breaking', async () => {
    expect(await classify('select a from t', 'select a, b as c from t')).toEqual({ kind: 'non-breaking', reason: 'column added at the end: c', addedColumns: ['c'] });
    expect(await classify('select a from t', 'select a  -- same\nfrom t')).toMatchObject({ kind: 'non-breaking' });
    expect(await classify('select a from t', 'select a from t where a > 1')).toMatchObject({ kind: 'breaking', reason: 'the query logic changed' });
    expect(await classify('select a, b from t', 'select a from t')).toMatchObject({ kind: 'breaking' });
  });

  it('calls an added column breaking where it changes the rows: DISTINCT, GROUP BY ALL keys, set-returning functions', async () => {
    expect(await classify('select distinct a from t', 'select distinct a, b from t')).toMatchObject({ kind: 'breaking', reason: 'column added at the end (b), but the select is DISTINCT, so they change its rows' });
    expect(await classify('select distinct on (a) a from t', 'select distinct on (a) a, b from t')).toMatchObject({ kind: 'non-breaking' });
    expect(await classify('select a, count(*) as n from t group by all', 'select a, count(*) as n, b from t group by all')).toMatchObject({ kind: 'breaking', reason: expect.stringMatching(/GROUP BY ALL/) });
    expect(await classify('select a, count(*) as n from t group by all', 'select a, count(*) as n, round(sum(x), 2) as s, quantile_cont(x, 0.5) as q from t group by all')).toMatchObject({ kind: 'non-breaking' });
    expect(await classify('select a from t', 'select a, unnest([1, 2, 3]) as u from t')).toMatchObject({ kind: 'breaking', reason: expect.stringMatching(/set-returning/) });
    expect(await classify('select a from t', 'select a, generate_series(1, 3) as g from t')).toMatchObject({ kind: 'breaking' });
    // Window functions and scalar subqueries keep the rows as they are.
    expect(await classify('select a from t', 'select a, sum(x) over (partition by a) as s, (select max(y) from u) as m from t')).toMatchObject({ kind: 'non-breaking' });
  });
});
