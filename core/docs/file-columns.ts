import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Manifest } from '../manifest/types.js';

/**
 * Column names known from the project's files alone: the header row of each seed's CSV. They
 * let column lineage expand `select *` over a seed before anything is built.
 */
export function seedFileColumns(projectRoot: string, manifest: Manifest): Record<string, string[]> {
  const columns: Record<string, string[]> = {};
  for (const node of Object.values(manifest.nodes)) {
    if (node.resourceType !== 'seed') continue;
    const header = readHeader(join(projectRoot, node.path));
    if (header) columns[node.uniqueId] = header;
  }
  return columns;
}

function readHeader(path: string): string[] | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buffer = Buffer.alloc(64 * 1024);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, length).toString('utf8').replace(/^\uFEFF/, '');
    const rows = parse(text, { to_line: 1, relax_column_count: true, relax_quotes: true, skip_empty_lines: true }) as string[][];
    const header = rows[0]?.map((name) => name.trim()).filter(Boolean);
    return header && header.length > 0 ? header : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
