// Writes the demo shop's extraction files at any scale, in the same shapes as the committed seeds:
//
//   raw_customers.csv, raw_products.csv            full loads (a changed customer is re-sent)
//   raw_order_lines.csv                            the full load of order lines
//   raw_order_lines_since_<date>.csv (x2)          since= batches: new orders + re-sent status changes
//   raw_app_events.csv                             application events (retries duplicate an event_id)
//   raw_service_costs.csv                          daily cloud costs per service (some not billed yet)
//
//   node bench/gen-shop-data.mjs --out /tmp/shop                 # scale 1: 1,000,000 app events
//   node bench/gen-shop-data.mjs --out /tmp/shop --scale 0.01 --seed 7
//
// Deterministic: the same --seed and --scale write the same bytes. A few rows are bad on purpose
// (negative quantity, unknown status, unknown customer) so silver's quarantine has work to do.
// To build with them, copy them over seeds/ in a scratch copy of the project and list the batches
// under the var order_line_batches (the script prints the YAML); the committed seeds stay small.
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { once } from 'node:events';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
if (args.includes('--help')) {
  console.log('usage: node bench/gen-shop-data.mjs --out DIR [--scale 1] [--seed 42]');
  process.exit(0);
}
const out = resolve(flag('out', 'bench/out/shop-data'));
const scale = Number(flag('scale', '1'));
const seed = Number(flag('seed', '42'));
if (!(scale > 0) || !Number.isInteger(seed)) throw new Error('--scale must be > 0 and --seed an integer');
mkdirSync(out, { recursive: true });

/** mulberry32: a small, fast, seeded PRNG. */
let state = seed >>> 0;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
const pick = (list) => list[Math.floor(random() * list.length)];
const pad = (n, w = 2) => String(n).padStart(w, '0');
const START = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;
const stamp = (ms) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const day = (ms) => new Date(ms).toISOString().slice(0, 10);

/** A CSV writer that respects back-pressure, so a million rows never sit in memory. */
async function writeCsv(name, header, rows) {
  const stream = createWriteStream(join(out, name));
  let count = 0;
  stream.write(`${header.join(',')}\n`);
  for (const row of rows) {
    if (!stream.write(`${row.join(',')}\n`)) await once(stream, 'drain');
    count++;
  }
  stream.end();
  await once(stream, 'finish');
  console.log(`${name.padEnd(40)} ${count.toLocaleString('en-US').padStart(12)} rows`);
}

const FIRST = ['Anna', 'Ben', 'David', 'Elena', 'Hugo', 'Ines', 'Kira', 'Lena', 'Marco', 'Nora', 'Omar', 'Rosa', 'Sven', 'Tom'];
const LAST = ['Garcia', 'Haddad', 'Jansen', 'Meyer', 'Muller', 'Novak', 'Roth', 'Rossi', 'Schmidt', 'Smith'];
const COUNTRIES = ['DE', 'FR', 'IT', 'NL', 'PL', 'ES'];
const CATEGORIES = ['Books', 'Games', 'Garden', 'Kitchen', 'Toys'];
const STATUSES = ['completed', 'completed', 'completed', 'shipped', 'pending', 'cancelled', 'returned'];
const EVENT_TYPES = ['page_view', 'page_view', 'page_view', 'search', 'add_to_cart', 'checkout', 'login'];
const SERVICES = ['compute', 'storage', 'database', 'network', 'analytics'];

const nCustomers = Math.max(10, Math.round(10_000 * scale));
const nProducts = Math.max(10, Math.round(500 * scale));
const nOrders = Math.max(20, Math.round(100_000 * scale));
const nEvents = Math.max(100, Math.round(1_000_000 * scale));
const costDays = Math.max(30, Math.min(3650, Math.round(365 * Math.max(1, scale))));

// Customers: every customer once, then ~5% re-sent with a later updated_at (latest wins in silver).
function* customers() {
  const row = (id, updated) => {
    const first = pick(FIRST), last = pick(LAST);
    return [id, first, last, `${first}.${last}${id}@example.com`.toLowerCase(), pick(COUNTRIES), stamp(updated)];
  };
  for (let id = 1; id <= nCustomers; id++) yield row(id, START + int(0, 6) * DAY + 9 * 3_600_000);
  for (let id = 1; id <= nCustomers; id++) if (random() < 0.05) yield row(id, START + int(7, 60) * DAY + 9 * 3_600_000);
}
await writeCsv('raw_customers.csv', ['customer_id', 'first_name', 'last_name', 'email', 'country', 'updated_at'], customers());

const prices = [];
function* products() {
  for (let i = 0; i < nProducts; i++) {
    const category = CATEGORIES[i % CATEGORIES.length];
    prices.push((int(500, 9999) / 100).toFixed(2));
    yield [101 + i, `${category.replace(/s$/, '')} item ${Math.floor(i / CATEGORIES.length) + 1}`, category, prices[i], stamp(START)];
  }
}
await writeCsv('raw_products.csv', ['product_id', 'product_name', 'category', 'unit_price', 'updated_at'], products());

// Order lines: orders spread over the first 90 days (the full load), then two since= batches of
// new orders, each also re-sending ~2% of earlier lines whose pending order has shipped.
const ORDER_HEADER = ['order_id', 'line_number', 'customer_id', 'product_id', 'quantity', 'unit_price', 'status', 'ordered_at'];
const FULL_DAYS = 90;
const batches = [
  { since: START + FULL_DAYS * DAY, until: START + (FULL_DAYS + 6) * DAY },
  { since: START + (FULL_DAYS + 6) * DAY, until: START + (FULL_DAYS + 9) * DAY },
];
const fullOrders = Math.round(nOrders * 0.9);
const perBatch = Math.round((nOrders - fullOrders) / 2);
const pendingLines = [];
function* orderLines(firstId, count, from, until, resend) {
  if (resend) for (const line of resend) yield [...line.slice(0, 6), 'shipped', line[7]];
  for (let o = 0; o < count; o++) {
    const id = firstId + o;
    const at = stamp(from + Math.floor(((o + random()) / count) * (until - from)));
    const customer = int(1, nCustomers);
    const status = from === START ? pick(STATUSES) : pick(['completed', 'pending']);
    for (let n = 1, lines = int(1, 4); n <= lines; n++) {
      const p = int(0, nProducts - 1);
      const line = [id, n, customer, 101 + p, int(1, 5), prices[p], status, at];
      const r = random();
      if (r < 0.001) line[4] = -line[4]; // quarantined: quantity not positive
      else if (r < 0.002) line[6] = 'lost'; // quarantined: unknown status
      else if (r < 0.003) line[2] = nCustomers + 1000; // quarantined: unknown customer
      if (status === 'pending' && random() < 0.2) pendingLines.push(line);
      yield line;
    }
  }
}
await writeCsv('raw_order_lines.csv', ORDER_HEADER, orderLines(1, fullOrders, START, START + FULL_DAYS * DAY));
const yaml = [];
for (const [i, b] of batches.entries()) {
  const name = `raw_order_lines_since_${day(b.since).replaceAll('-', '_')}`;
  const resend = pendingLines.splice(0, Math.ceil(pendingLines.length / 2));
  await writeCsv(`${name}.csv`, ORDER_HEADER, orderLines(fullOrders + 1 + i * perBatch, perBatch, b.since, b.until, resend));
  yaml.push(`    - {seed: ${name}, since: "${stamp(b.since)}", extracted_at: "${stamp(b.until)}"}`);
}

// App events over the same period; ~0.5% are retried (the same event_id again, later).
function* events() {
  const span = (FULL_DAYS + 9) * DAY;
  for (let id = 1; id <= nEvents; id++) {
    const at = START + Math.floor(((id - 1 + random()) / nEvents) * span);
    const row = [id, pick(EVENT_TYPES), int(1, nCustomers), stamp(at)];
    yield row;
    if (random() < 0.005) yield [id, row[1], row[2], stamp(at + int(1, 30) * 1000)];
  }
}
await writeCsv('raw_app_events.csv', ['event_id', 'event_type', 'user_id', 'occurred_at'], events());

// Service costs: one row per service and day; ~1% of the latest days are not billed yet (empty).
function* costs() {
  for (let d = 0; d < costDays; d++) {
    for (const [s, service] of SERVICES.entries()) {
      const base = [60, 85, 40, 25, 15][s] * Math.max(1, scale);
      const cost = d > costDays - 3 && random() < 0.3 ? '' : (base * (0.8 + 0.4 * random())).toFixed(4);
      yield [service, cost, day(START + d * DAY)];
    }
  }
}
await writeCsv('raw_service_costs.csv', ['service_name', 'cost', 'cost_date'], costs());

console.log(`\nWritten to ${out} (scale ${scale}, seed ${seed}). Batches for project.yml:\n  order_lines_full_load_at: "${stamp(START + FULL_DAYS * DAY)}"\n  order_line_batches:\n${yaml.join('\n')}`);
