import { describe, expect, it } from 'vitest';
import { snapshotBlocks } from './snapshot-files.js';

describe('snapshotBlocks', () => {
  it('finds every block; the body keeps the file line numbers', () => {
    const text = `-- orders\n{% snapshot orders_snapshot %}\n{{ config(unique_key='id') }}\nselect 1\n{% endsnapshot %}\n\n{%- snapshot b -%} select 2 {%- endsnapshot -%}\n`;
    const blocks = snapshotBlocks('snapshots/s.sql', text);
    expect(blocks.map((b) => [b.name, b.startLine])).toEqual([['orders_snapshot', 2], ['b', 7]]);
    expect(blocks[0]!.text.split('\n')[2]).toBe("{{ config(unique_key='id') }}");
    expect(blocks[0]!.text.trim()).toBe("{{ config(unique_key='id') }}\nselect 1");
    expect(blocks[1]!.text.trim()).toBe('select 2');
  });

  it('reports a file without blocks and a block without its end, at their line', () => {
    expect(() => snapshotBlocks('snapshots/x.sql', 'select 1')).toThrow(/holds no \{% snapshot %\} block/);
    try {
      snapshotBlocks('snapshots/x.sql', '\n{% snapshot a %}\nselect 1\n{% snapshot b %}select 2{% endsnapshot %}');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe('Snapshot a has no {% endsnapshot %}');
      expect((error as { location: { line: number } }).location.line).toBe(2);
    }
  });
});
