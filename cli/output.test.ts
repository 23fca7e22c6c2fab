import { describe, expect, it } from 'vitest';
import type { NodeResult } from '../core/runner/results.js';
import type { CliIo } from './io.js';
import { Output } from './output.js';

/* Terminal output: colors only on a terminal without NO_COLOR, JSON events, the progress line. */
function io(isTty: boolean, env: NodeJS.ProcessEnv = {}): CliIo & { out: string } {
  const captured = { out: '' } as CliIo & { out: string };
  Object.assign(captured, { stdout: (t: string) => (captured.out += t), stderr: (t: string) => (captured.out += t), cwd: '/', env, isTty });
  return captured;
}

const result: NodeResult = {
  uniqueId: 'model.p.m', name: 'm', resourceType: 'model', materialization: 'table', status: 'success',
  executionTime: 0.25, startedAt: '2026-01-01T00:00:00Z', completedAt: '2026-01-01T00:00:01Z', rowsAffected: 1234, warnings: [],
};

describe('Output', () => {
  it('colors a terminal, never a pipe, never with NO_COLOR', () => {
    const tty = io(true);
    new Output(tty).nodeFinished(1, 1, result);
    expect(tty.out).toContain('\u001b[32m');
    const pipe = io(false);
    new Output(pipe).nodeFinished(1, 1, result);
    expect(pipe.out).not.toContain('\u001b[');
    expect(pipe.out).toMatch(/1 of 1\s+OK\s+table\s+m \.+\s+1,234 rows\s+0\.25s/);
    const noColor = io(true, { NO_COLOR: '1' });
    new Output(noColor).nodeFinished(1, 1, result);
    expect(noColor.out).not.toContain('\u001b[3');
  });

  it('--log-format json prints one JSON object per event', () => {
    const pipe = io(false);
    const output = new Output(pipe, { logFormat: 'json' });
    output.info('hello');
    output.nodeFinished(1, 1, result);
    const events = pipe.out.trim().split('\n').map((l) => JSON.parse(l) as { event: string });
    expect(events.map((e) => e.event)).toEqual(['info', 'node_finished']);
  });

  it('draws a progress line with rows and rate on a terminal only, and clears it', () => {
    const tty = io(true);
    const output = new Output(tty);
    output.progress('seed.p.big', 'big', 500_000, 50, 100);
    expect(tty.out).toMatch(/big \[#{12}\.{12}\] 50%\s+500,000 rows\s+[\d,]+ rows\/s/);
    output.nodeFinished(1, 1, result);
    expect(tty.out).toContain('\r\u001b[2K1 of 1'.slice(0, 5));
    const pipe = io(false);
    new Output(pipe).progress('seed.p.big', 'big', 10, 1, 2);
    expect(pipe.out).toBe('');
    const quiet = io(true);
    new Output(quiet, { quiet: true }).progress('seed.p.big', 'big', 10, 1, 2);
    expect(quiet.out).toBe('');
  });

  it('hides secrets in everything it prints', () => {
    const pipe = io(false);
    const output = new Output(pipe);
    output.redact = (t) => t.replaceAll('hunter2', '****');
    output.info('password is hunter2');
    output.warn('again hunter2');
    expect(pipe.out).not.toContain('hunter2');
    expect(pipe.out).toContain('****');
  });
});
