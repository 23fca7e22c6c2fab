// P1: `smelt compile` on generated projects of 1,000 and 10,000 models (cold = first compile
// in a fresh folder, warm = the same command again with nothing changed, one model edited, the
// macro edited), and CLI cold start: `smelt --version` and `smelt ls` on the demo project. Usage: npm run build && node bench/compile/run.mjs [--repeat 5]
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateProject } from '../lib/gen-project.mjs';
import { arg, fmt, median, ROOT, smelt } from '../lib/util.mjs';

const REPEAT = Number(arg('repeat', 5));
const SIZES = arg('sizes', '1000,10000').split(',').map(Number);

for (const models of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), 'smelt-bench-p1-'));
  generateProject(dir, { models });
  const cold = smelt(dir, ['compile', '-q']).seconds;
  const warm = [];
  for (let r = 0; r < REPEAT; r++) warm.push(smelt(dir, ['compile', '-q']).seconds);
  const w = median(warm);
  // One model edited each time (its render is redone), then the macro (every model's is).
  const edited = [];
  for (let r = 0; r < REPEAT; r++) {
    appendFileSync(join(dir, 'models/gold', `m${String(models - 1).padStart(5, '0')}.sql`), `-- edit ${r}\n`);
    edited.push(smelt(dir, ['compile', '-q']).seconds);
  }
  appendFileSync(join(dir, 'macros/double.sql'), '{# edited #}\n');
  const macro = smelt(dir, ['compile', '-q']).seconds;
  console.log(`P1 compile ${models.toLocaleString('en-US').padStart(6)} models: cold ${fmt(cold).padStart(8)}, warm ${fmt(w).padStart(8)} (median of ${REPEAT}), ${((w / models) * 1e6).toFixed(0)} µs per model; one model edited ${fmt(median(edited))}; macro edited ${fmt(macro)}`);
  rmSync(dir, { recursive: true, force: true });
}

const version = [];
const ls = [];
for (let r = 0; r < REPEAT; r++) {
  version.push(smelt(ROOT, ['--version']).seconds);
  ls.push(smelt(ROOT, ['ls', '-q']).seconds);
}
console.log(`CLI cold start: smelt --version ${fmt(median(version))}, smelt ls on the demo project ${fmt(median(ls))} (median of ${REPEAT})`);
