// The demo shop's operational PostgreSQL, for taking its CDC tables live (models/bronze/cdc_live_sources.yml):
//
//   node bench/cdc/live-demo.mjs setup      creates schema shop_ops (customers, products, salesorders) from the seeds
//   node bench/cdc/live-demo.mjs changes    the next round of business: orders ship, prices change, customers come and go
//   node bench/cdc/live-demo.mjs teardown   drops slot smelt_shop, publication smelt_shop and schema shop_ops
//
// Connects with PGHOST, PGPORT, PGUSER, PGPASSWORD and SHOP_OPS_DATABASE (else PGDATABASE, else
// postgres), as the sources do. Deterministic: the same rounds make the same changes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { ROOT } from '../lib/util.mjs';

const csv = (name) => {
  const [header, ...lines] = readFileSync(join(ROOT, 'seeds', name), 'utf8').trim().split(/\r?\n/);
  const names = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v])));
};

/** Creates the operational tables (dropping any left from before) and fills them from the seeds. */
export async function setup(client, schema = 'shop_ops') {
  const s = `"${schema}"`;
  await client.query(`drop schema if exists ${s} cascade`);
  await client.query(`create schema ${s}`);
  await client.query(`create table ${s}.customers (customer_id integer primary key, first_name text, last_name text, email text, country text, updated_at timestamp not null)`);
  await client.query(`create table ${s}.products (product_id integer primary key, product_name text, category text, unit_price numeric(12, 2), updated_at timestamp not null)`);
  await client.query(`create table ${s}.salesorders (order_id integer primary key, customer_id integer, total numeric(12, 2), status text not null, ordered_at timestamp, updated_at timestamp not null)`);
  const customers = [...new Map(csv('raw_customers.csv').map((c) => [c.customer_id, c])).values()];
  await insert(client, `${s}.customers`, ['customer_id', 'first_name', 'last_name', 'email', 'country', 'updated_at'], customers.map((c) => [c.customer_id, c.first_name, c.last_name, c.email, c.country, c.updated_at]));
  const products = [...new Map(csv('raw_products.csv').map((p) => [p.product_id, p])).values()];
  await insert(client, `${s}.products`, ['product_id', 'product_name', 'category', 'unit_price', 'updated_at'], products.map((p) => [p.product_id, p.product_name, p.category, p.unit_price, p.updated_at]));
  const lines = csv('raw_order_lines.csv').filter((l) => /^\d+$/.test(l.order_id) && /^\d+$/.test(l.customer_id) && Number.isFinite(Number(l.quantity) * Number(l.unit_price)));
  const orders = [...new Map(lines.map((l) => [l.order_id, l])).values()].slice(0, 60).map((l) => [
    l.order_id, l.customer_id,
    lines.filter((x) => x.order_id === l.order_id).reduce((sum, x) => sum + Number(x.quantity) * Number(x.unit_price), 0).toFixed(2),
    'pending', l.ordered_at, l.ordered_at,
  ]);
  await insert(client, `${s}.salesorders`, ['order_id', 'customer_id', 'total', 'status', 'ordered_at', 'updated_at'], orders);
  return { customers: customers.length, products: products.length, salesorders: orders.length };
}

/** Round `round` (by default the next one) of business, each statement its own transaction, as an application would. */
export async function changes(client, round = undefined, schema = 'shop_ops') {
  const s = `"${schema}"`;
  round ??= Number((await client.query(`select count(*) as n from ${s}.customers where customer_id > 2000`)).rows[0].n) + 1;
  const at = `timestamp '2024-04-01 09:00:00' + interval '${round} day'`;
  const statements = [
    // Orders move on: some pending ones ship, some shipped ones complete, one is cancelled.
    `update ${s}.salesorders set status = 'completed', updated_at = ${at} where status = 'shipped' and order_id % 3 = ${round % 3}`,
    `update ${s}.salesorders set status = 'shipped', updated_at = ${at} where status = 'pending' and order_id % 4 = ${round % 4}`,
    `update ${s}.salesorders set status = 'cancelled', updated_at = ${at} where order_id = (select min(order_id) from ${s}.salesorders where status = 'pending')`,
    `insert into ${s}.salesorders values ((select max(order_id) + 1 from ${s}.salesorders), (select min(customer_id) from ${s}.customers), ${(19.99 * round).toFixed(2)}, 'pending', ${at}, ${at})`,
    // Prices: one category up, another down.
    `update ${s}.products set unit_price = round(unit_price * 1.05, 2), updated_at = ${at} where product_id % 5 = ${round % 5}`,
    `update ${s}.products set unit_price = round(unit_price * 0.9, 2), updated_at = ${at} where product_id % 7 = ${round % 7}`,
    // Customers: an e-mail change, a move, a sign-up and a deletion.
    `update ${s}.customers set email = replace(email, '@example.com', '@mail.example.com'), updated_at = ${at} where customer_id = ${round}`,
    `update ${s}.customers set country = 'NL', updated_at = ${at} where customer_id = ${round + 10}`,
    `insert into ${s}.customers values (${2000 + round}, 'New', 'Customer ${round}', 'new.customer${round}@example.com', 'DE', ${at})`,
    `delete from ${s}.customers where customer_id = (select max(customer_id) from ${s}.customers where customer_id < 1000 and customer_id > ${20 + round})`,
  ];
  let rows = 0;
  for (const sql of statements) rows += (await client.query(sql)).rowCount ?? 0;
  return { round, rows };
}

/** Drops the slot and publication the sources created, and the operational tables. */
export async function teardown(client, schema = 'shop_ops', slot = 'smelt_shop') {
  await client.query(`select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1`, [slot]);
  await client.query(`drop publication if exists "${slot}"`);
  await client.query(`drop schema if exists "${schema}" cascade`);
}

async function insert(client, table, columns, rows) {
  if (rows.length === 0) return;
  const params = rows.flat();
  const values = rows.map((row, r) => `(${row.map((_, c) => `$${r * row.length + c + 1}`).join(', ')})`).join(', ');
  await client.query(`insert into ${table} (${columns.join(', ')}) values ${values}`, params);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [command = 'setup', round] = process.argv.slice(2);
  const client = new pg.Client({ database: process.env.SHOP_OPS_DATABASE ?? process.env.PGDATABASE ?? 'postgres', host: process.env.PGHOST ?? '127.0.0.1', user: process.env.PGUSER ?? 'postgres' });
  await client.connect();
  try {
    if (command === 'setup') console.log('shop_ops:', await setup(client));
    else if (command === 'changes') {
      const done = await changes(client, round === undefined ? undefined : Number(round));
      console.log(`round ${done.round}: ${done.rows} rows changed`);
    }
    else if (command === 'teardown') {
      await teardown(client);
      console.log('dropped slot smelt_shop, publication smelt_shop and schema shop_ops');
    } else throw new Error(`unknown command '${command}': setup, changes [round] or teardown`);
  } finally {
    await client.end();
  }
}
