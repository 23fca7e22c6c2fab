import { describe, expect, it } from 'vitest';
import { cteName, inlineCtes } from './inline-ctes.js';

const e1 = { name: cteName('e1'), sql: 'select 1 as id\n' };
const e2 = { name: cteName('e2'), sql: `select * from ${cteName('e1')}` };

describe('inlineCtes', () => {
  it('leaves SQL without ephemeral parents alone', () => {
    expect(inlineCtes('select 1', [])).toBe('select 1');
  });

  it('puts a WITH clause before a plain SELECT', () => {
    expect(inlineCtes('select * from __smelt_cte__e1', [e1])).toBe('with __smelt_cte__e1 as (\nselect 1 as id\n)\nselect * from __smelt_cte__e1');
  });

  it('keeps ephemeral-of-ephemeral CTEs in order', () => {
    const sql = inlineCtes('select * from __smelt_cte__e2', [e1, e2]);
    expect(sql).toBe('with __smelt_cte__e1 as (\nselect 1 as id\n),\n__smelt_cte__e2 as (\nselect * from __smelt_cte__e1\n)\nselect * from __smelt_cte__e2');
  });

  it("merges into the model's own leading WITH, whatever its case", () => {
    const sql = inlineCtes('WITH a AS (select * from __smelt_cte__e1)\nselect * from a', [e1]);
    expect(sql).toBe('WITH __smelt_cte__e1 as (\nselect 1 as id\n),\na AS (select * from __smelt_cte__e1)\nselect * from a');
  });

  it('keeps WITH RECURSIVE recursive', () => {
    const sql = inlineCtes('with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) select * from r', [e1]);
    expect(sql.startsWith('with recursive __smelt_cte__e1 as (')).toBe(true);
    expect(sql).toContain('),\nr(n) as (');
  });

  it('looks past leading comments and blank lines for the WITH', () => {
    const sql = inlineCtes('\n-- header\n/* block\n comment */\nwith a as (select 1) select * from a', [e1]);
    expect(sql).toBe('\n-- header\n/* block\n comment */\nwith __smelt_cte__e1 as (\nselect 1 as id\n),\na as (select 1) select * from a');
  });

  it('does not mistake a column or table named like "with..." for the keyword', () => {
    const sql = inlineCtes('without_tax as x', [e1]);
    expect(sql.startsWith('with __smelt_cte__e1 as (')).toBe(true);
    expect(sql.endsWith('\nwithout_tax as x')).toBe(true);
  });
});
