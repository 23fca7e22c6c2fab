import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { redactor } from '../core/runner/artifacts.js';
import { EXIT_FAILURE, EXIT_OK, guard, projectOptions, selectionOptions, sessionFor, type CliState, type CommonFlags } from './common.js';

interface CaptureFlags extends CommonFlags {
  once?: boolean;
  poll?: number;
  batchSize?: number;
  dropSlot?: boolean;
  check?: boolean;
}

export function registerCapture(program: Command, state: CliState): void {
  const command = program
    .command('capture')
    .description('capture the changes of live CDC sources (cdc.capture) from a PostgreSQL replication slot into their change logs')
    .addHelpText('after', [
      '',
      'The first run takes an initial snapshot of the tables (op r); then every committed change',
      'is appended, and the slot advanced only once the change log has it: a capture stopped at',
      'any moment loses nothing and doubles nothing when it runs again.',
      '',
      'Examples:',
      '  smelt capture --once                      # drain what the slots hold, then exit',
      '  smelt capture --poll 5                    # follow until Ctrl-C (or SIGTERM)',
      '  smelt capture --check                     # check wal_level, replica identity, publication, slot',
      '  smelt capture -s source:shop_live.customers --target postgres',
      '  smelt capture --drop-slot                 # drop the slot (it holds WAL while it exists)',
    ].join('\n'));
  selectionOptions(projectOptions(command))
    .option('--once', 'drain what the slots hold now, then exit')
    .option('--poll <seconds>', 'when following, how often to look for new changes (default 1)', (v) => positive(v, '--poll', false))
    .option('--batch-size <n>', 'changes per batch and warehouse transaction (default 10000; a transaction is never split)', (v) => positive(v, '--batch-size', true))
    .option('--wait <seconds>', 'if another smelt command is writing to the target, wait this long for it', (v) => positive(v, '--wait', false, true))
    .option('--full-refresh', 'drop the slots and change logs and start over from a new snapshot (needs create_slot: true)')
    .option('--drop-slot', 'drop the slots (and with create_slot: true their publications), then exit')
    .option('--check', "check the operational database's setup without changing anything")
    .action(async (flags: CaptureFlags) => {
      await guard(state, flags, async (output) => {
        const { captureTask } = await import('../core/tasks/capture-task.js');
        const session = sessionFor(flags, state, output);
        const controller = new AbortController();
        const stop = () => {
          if (!controller.signal.aborted) output.info('Stopping after the current batch...');
          controller.abort();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          const summary = await captureTask(session, {
            ...flags,
            signal: controller.signal,
            onSecrets: (secrets) => (output.redact = redactor([...session.target.secrets, ...secrets])),
          }, output);
          return summary.success ? EXIT_OK : EXIT_FAILURE;
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      });
    });
}

function positive(value: string, flag: string, integer: boolean, zero = false): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (!zero && n === 0) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} takes a ${integer ? 'whole ' : ''}number${zero ? '' : ' above 0'}, not '${value}'`);
  }
  return n;
}
