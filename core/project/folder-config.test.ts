import { describe, expect, it } from 'vitest';
import { folderConfigFor, mergeConfig } from './folder-config.js';

const tree = {
  '+materialized': 'view',
  '+tags': ['all'],
  bronze: { '+materialized': 'view', '+tags': 'raw' },
  gold: {
    '+materialized': 'table',
    '+schema': 'gold',
    marts: { '+materialized': 'incremental', '+meta': { owner: 'finance' } },
  },
  legacy: { materialized: 'table', schema: 'old', tags: ['legacy'] },
};

describe('folderConfigFor', () => {
  it('applies the root level to every file', () => {
    expect(folderConfigFor(tree, 'shop', [])).toEqual({ materialized: 'view', tags: ['all'] });
  });

  it('lets deeper folders override and tags accumulate', () => {
    expect(folderConfigFor(tree, 'shop', ['bronze'])).toEqual({ materialized: 'view', tags: ['all', 'raw'] });
    expect(folderConfigFor(tree, 'shop', ['gold'])).toEqual({ materialized: 'table', schema: 'gold', tags: ['all'] });
    expect(folderConfigFor(tree, 'shop', ['gold', 'marts'])).toEqual({ materialized: 'incremental', schema: 'gold', tags: ['all'], meta: { owner: 'finance' } });
  });

  it('does not mistake a sub-folder for config, nor apply sibling folders', () => {
    const config = folderConfigFor(tree, 'shop', ['gold', 'unknown', 'deeper']);
    expect(config).toEqual({ materialized: 'table', schema: 'gold', tags: ['all'] });
    expect(config).not.toHaveProperty('marts');
  });

  it('accepts the plain (unprefixed) spelling of known config keys', () => {
    expect(folderConfigFor(tree, 'shop', ['legacy'])).toEqual({ materialized: 'table', schema: 'old', tags: ['all', 'legacy'] });
  });

  it("accepts the project's name as the first level, as dbt requires", () => {
    const dbtStyle = { shop: { '+materialized': 'table', staging: { '+materialized': 'view' } } };
    expect(folderConfigFor(dbtStyle, 'shop', ['staging'])).toEqual({ materialized: 'view' });
    expect(folderConfigFor(dbtStyle, 'shop', ['marts'])).toEqual({ materialized: 'table' });
    expect(folderConfigFor(dbtStyle, 'other', ['staging'])).toEqual({});
  });
});

describe('mergeConfig', () => {
  it('overrides scalars, appends tags and hooks without duplicates, merges meta', () => {
    const base = { materialized: 'view', tags: ['a'], meta: { x: 1 }, 'post-hook': ['grant select'] };
    const merged = mergeConfig(base, { materialized: 'table', tags: ['a', 'b'], meta: { y: 2 }, post_hook: 'analyze' });
    expect(merged).toEqual({ materialized: 'table', tags: ['a', 'b'], meta: { x: 1, y: 2 }, 'post-hook': ['grant select', 'analyze'] });
    expect(base.tags).toEqual(['a']);
  });
});
