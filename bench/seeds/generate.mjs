#!/usr/bin/env node
// Writes a deterministic CSV for the seed benchmarks: node bench/seeds/generate.mjs ROWS OUT.csv [SEED]
// Ten columns that exercise every inferred type: integer, bigint, double, boolean, date,
// timestamp and text (some text quoted, with commas, quotes and semicolons).
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const rows = Number(process.argv[2] ?? 1_000_000);
const out = process.argv[3] ?? 'bench/out/seed-1m.csv';
let state = Number(process.argv[4] ?? 42) >>> 0;

// mulberry32: a tiny seeded PRNG, so every run writes the same bytes.
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(random() * n);
const pad = (n, w = 2) => String(n).padStart(w, '0');
const words = ['alpha', 'beta', 'gamma', 'delta', 'select', 'drop table', 'o\'brien', 'semi;colon', 'comma, inside', 'say "hi"'];
const quote = (s) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

const stream = createWriteStream(out);
stream.write('id,account_id,amount,quantity,is_active,order_date,created_at,name,email,note\n');
let buffer = '';
for (let i = 1; i <= rows; i++) {
  const day = `20${pad(10 + int(15))}-${pad(1 + int(12))}-${pad(1 + int(28))}`;
  const ts = `${day} ${pad(int(24))}:${pad(int(60))}:${pad(int(60))}`;
  buffer += [
    i,
    5_000_000_000 + int(1_000_000_000),
    (int(10_000_000) / 100).toFixed(2),
    int(500),
    random() < 0.5 ? 'true' : 'false',
    day,
    ts,
    quote(`${words[int(words.length)]} ${int(1000)}`),
    `user${int(100_000)}@example.com`,
    random() < 0.1 ? '' : quote(words[int(words.length)]),
  ].join(',') + '\n';
  if (buffer.length > 1 << 20) {
    if (!stream.write(buffer)) await once(stream, 'drain');
    buffer = '';
  }
}
stream.write(buffer);
stream.end();
await once(stream, 'finish');
