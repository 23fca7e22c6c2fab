import { describe, expect, it } from 'vitest';
import { contractProblems, sameType } from './contract.js';

describe('contract types', () => {
  it('treats DuckDB and PostgreSQL names of the same type as equal', () => {
    expect(sameType('int', 'INTEGER')).toBe(true);
    expect(sameType('integer', 'int4')).toBe(true);
    expect(sameType('bigint', 'BIGINT')).toBe(true);
    expect(sameType('varchar', 'character varying')).toBe(true);
    expect(sameType('text', 'VARCHAR')).toBe(true);
    expect(sameType('varchar(20)', 'character varying(20)')).toBe(true);
    expect(sameType('numeric(10,2)', 'DECIMAL(10,2)')).toBe(true);
    expect(sameType('numeric', 'numeric(18, 3)')).toBe(true);
    expect(sameType('timestamp', 'timestamp without time zone')).toBe(true);
    expect(sameType('timestamptz', 'TIMESTAMP WITH TIME ZONE')).toBe(true);
    expect(sameType('double', 'double precision')).toBe(true);
    expect(sameType('float', 'DOUBLE')).toBe(true);
    expect(sameType('boolean', 'bool')).toBe(true);
  });

  it('tells different types apart', () => {
    expect(sameType('integer', 'VARCHAR')).toBe(false);
    expect(sameType('integer', 'bigint')).toBe(false);
    expect(sameType('numeric(10,2)', 'numeric(12,2)')).toBe(false);
    expect(sameType('timestamp', 'timestamptz')).toBe(false);
    expect(sameType('date', 'timestamp')).toBe(false);
  });

  it('lists missing, extra and retyped columns (names in any case)', () => {
    const declared = [{ name: 'id', dataType: 'integer' }, { name: 'Name', dataType: 'text' }, { name: 'score', dataType: 'numeric' }];
    const actual = [{ name: 'id', dataType: 'VARCHAR' }, { name: 'name', dataType: 'VARCHAR' }, { name: 'extra', dataType: 'INTEGER' }];
    expect(contractProblems(declared, actual)).toEqual([
      { column: 'id', declared: 'integer', actual: 'VARCHAR' },
      { column: 'score', declared: 'numeric', actual: '(missing)' },
      { column: 'extra', declared: '(not declared)', actual: 'INTEGER' },
    ]);
  });
});
