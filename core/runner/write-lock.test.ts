import { describe, expect, it } from 'vitest';
import { withProcessLock } from './write-lock.js';

describe('withProcessLock', () => {
  it('runs holders of one key one at a time, in the order they asked; other keys run alongside', async () => {
    const log: string[] = [];
    const hold = (key: string, name: string, ms: number) =>
      withProcessLock(key, async () => {
        log.push(`${name}+`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        log.push(`${name}-`);
      });
    await Promise.all([hold('a', 'a1', 20), hold('a', 'a2', 1), hold('b', 'b1', 5)]);
    expect(log.filter((e) => e.startsWith('a'))).toEqual(['a1+', 'a1-', 'a2+', 'a2-']);
    expect(log.indexOf('b1-')).toBeLessThan(log.indexOf('a1-'));
  });

  it('lets the next holder in when one fails', async () => {
    await expect(withProcessLock('c', async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    await expect(withProcessLock('c', async () => 'next')).resolves.toBe('next');
  });
});
