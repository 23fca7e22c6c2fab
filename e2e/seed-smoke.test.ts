import { describe, expect, it } from 'vitest';
import { dialects, FixtureProject } from './support/project.js';

describe('seed smoke', async () => {
  for (const dialect of await dialects()) {
    it(`loads on ${dialect}`, async () => {
      const p = new FixtureProject(dialect, {
        'seeds/people.csv': 'id,name,score,active,born,seen_at,big\n1,"Ann ""A""",1.5,true,2000-01-02,2024-01-02 03:04:05,9999999999\n2,"semi;colon, and\nnewline",,FALSE,,,1\n',
        'models/m.sql': "select count(*) as n from {{ ref('people') }}",
      });
      try {
        const r = await p.cli('seed');
        console.log(r.stdout, r.stderr);
        expect(r.code).toBe(0);
        console.log(await p.query(`select column_name, data_type from information_schema.columns where table_schema = '${p.schema}' and table_name = 'people' order by ordinal_position`));
        console.log(await p.query(`select * from "${p.schema}".people order by id`));
        const r2 = await p.cli('seed');
        console.log(r2.stdout, r2.stderr);
        console.log(await p.query(`select * from "${p.schema}".smelt_run_history`));
      } finally {
        await p.cleanup();
      }
    });
  }
});
