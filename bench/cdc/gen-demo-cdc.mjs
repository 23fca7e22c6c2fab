// Writes the demo project's CDC change logs (cdc/customers, cdc/products, cdc/salesorders): the
// Debezium events the shop's operational PostgreSQL would have sent for its customers,
// products and orders — an initial snapshot from the seeds, then a few days of changes.
// Deterministic: node bench/cdc/gen-demo-cdc.mjs rewrites the same files.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../lib/util.mjs';

const csv = (name) => {
  const [header, ...lines] = readFileSync(join(ROOT, 'seeds', name), 'utf8').trim().split(/\r?\n/);
  const names = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v])));
};
const ms = (text) => Date.parse(`${text.replace(' ', 'T')}Z`);
let lsn = 24_000_000;
let tx = 5000;

/** One Debezium event (PostgreSQL connector, JSON without schema, decimal.handling.mode=string). */
function event(table, op, before, after, at, snapshot = 'false') {
  return {
    before, after,
    source: { version: '2.5.0.Final', connector: 'postgresql', name: 'shop', ts_ms: ms(at), snapshot, db: 'shop', schema: 'public', table, txId: snapshot === 'false' ? tx++ : 4999, lsn: snapshot === 'false' ? (lsn += 56) : 24_000_000 },
    op, ts_ms: ms(at) + 250,
  };
}
const write = (folder, file, events) => {
  mkdirSync(join(ROOT, 'cdc', folder), { recursive: true });
  writeFileSync(join(ROOT, 'cdc', folder, file), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
};

// Customers: the snapshot, then e-mail and country changes, two deletions, three sign-ups.
const customer = (c) => ({ customer_id: Number(c.customer_id), first_name: c.first_name, last_name: c.last_name, email: c.email, country: c.country, updated_at: ms(c.updated_at) * 1000 });
const customers = csv('raw_customers.csv').filter((c, i, all) => all.findIndex((d) => d.customer_id === c.customer_id) === i).map(customer);
write('customers', '2024-03-01-snapshot.ndjson', customers.map((c, i) => event('customers', 'r', null, c, '2024-03-01 00:00:00', i === customers.length - 1 ? 'last' : 'true')));
const day1 = [];
for (const [i, c] of customers.slice(0, 6).entries()) {
  const at = `2024-03-02 0${i + 1}:00:00`;
  day1.push(event('customers', 'u', null, { ...c, email: c.email.replace('@example.com', '@mail.example.com'), updated_at: ms(at) * 1000 }, at));
}
day1.push(event('customers', 'd', { customer_id: customers[10].customer_id }, null, '2024-03-02 12:00:00'), null);
day1.push(event('customers', 'd', { customer_id: customers[11].customer_id }, null, '2024-03-02 12:30:00'), null);
for (const [i, name] of ['Ines Roth', 'Omar Haddad', 'Lena Novak'].entries()) {
  const [first, last] = name.split(' ');
  const at = `2024-03-02 1${i + 4}:00:00`;
  day1.push(event('customers', 'c', null, { customer_id: 1000 + i, first_name: first, last_name: last, email: `${first.toLowerCase()}.${last.toLowerCase()}@example.com`, country: ['DE', 'FR', 'PL'][i], updated_at: ms(at) * 1000 }, at));
}
write('customers', '2024-03-02.ndjson', day1);
const moved = { ...customers[2], country: 'NL', updated_at: ms('2024-03-03 09:00:00') * 1000 };
write('customers', '2024-03-03.ndjson', [event('customers', 'u', null, moved, '2024-03-03 09:00:00'), JSON.parse(JSON.stringify(day1[0]))]);

// Products: the snapshot, then price changes (the history a price report needs), one discontinued.
const product = (p) => ({ product_id: Number(p.product_id), product_name: p.product_name, category: p.category, unit_price: p.unit_price, updated_at: ms(p.updated_at) * 1000 });
const products = csv('raw_products.csv').map(product);
write('products', '2024-03-01-snapshot.ndjson', products.map((p) => event('products', 'r', null, p, '2024-03-01 00:00:00', 'true')));
const prices = [];
for (const [step, factor] of [[2, 1.1], [5, 0.9], [9, 1.05]]) {
  for (const p of products.filter((_, i) => i % 4 === step % 4)) {
    const at = `2024-03-0${step} 08:00:00`;
    p.unit_price = (Number(p.unit_price) * factor).toFixed(2);
    prices.push(event('products', 'u', null, { ...p, updated_at: ms(at) * 1000 }, at));
  }
}
prices.push(event('products', 'd', { product_id: products[24].product_id }, null, '2024-03-09 18:00:00'), null);
write('products', '2024-03-02-to-09.ndjson', prices);

// Sales orders: each order created, then moved through its statuses; one cancelled, one deleted.
const lines = csv('raw_order_lines.csv');
const orders = [...new Map(lines.map((l) => [l.order_id, l])).values()].slice(0, 60).map((l) => ({
  order_id: Number(l.order_id), customer_id: Number(l.customer_id),
  total: lines.filter((x) => x.order_id === l.order_id).reduce((s, x) => s + Number(x.quantity) * Number(x.unit_price), 0).toFixed(2),
  status: 'pending', ordered_at: ms(l.ordered_at) * 1000, updated_at: ms(l.ordered_at) * 1000,
}));
const flow = [];
for (const [i, o] of orders.entries()) {
  const at = `2024-03-${String(1 + (i % 9)).padStart(2, '0')} ${String(8 + (i % 10)).padStart(2, '0')}:00:00`;
  flow.push(event('salesorders', 'c', null, { ...o, updated_at: ms(at) * 1000 }, at));
}
for (const [i, o] of orders.entries()) {
  const steps = i % 7 === 3 ? ['cancelled'] : i % 3 === 0 ? ['shipped', 'completed'] : ['shipped'];
  for (const [n, status] of steps.entries()) {
    const at = `2024-03-${String(10 + n * 2 + (i % 5)).padStart(2, '0')} 10:00:00`;
    flow.push(event('salesorders', 'u', null, { ...o, status, updated_at: ms(at) * 1000 }, at));
  }
}
flow.push(event('salesorders', 'd', { order_id: orders[59].order_id }, null, '2024-03-20 10:00:00'), null);
write('salesorders', '2024-03.ndjson', flow);
