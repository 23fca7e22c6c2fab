import { sha256 } from '../util/hash.js';

/** PostgreSQL cuts identifiers at 63 bytes; keep temporary names unique below that. */
const MAX_IDENTIFIER = 63;
export const TEMP_SUFFIX = '__smelt_tmp';

export function tempIdentifier(identifier: string): string {
  const name = `${identifier}${TEMP_SUFFIX}`;
  if (Buffer.byteLength(name) <= MAX_IDENTIFIER) return name;
  return `${identifier.slice(0, 40)}_${sha256(identifier).slice(0, 8)}${TEMP_SUFFIX}`;
}
