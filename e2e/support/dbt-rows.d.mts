export const TIME_COLUMNS: string[];
export function normalizeValue(value: unknown, type?: string): unknown;
export interface DumpedRelation {
  missing?: boolean;
  columns?: string[];
  types?: string[];
  rows?: unknown[][];
}
export type Connection = { type: 'duckdb'; path: string } | { type: 'postgres'; pg: Record<string, unknown> } | { type: string; path?: string; pg?: Record<string, unknown> };
export function dumpRelations(connection: Connection, relations: Record<string, { schema: string; identifier: string; snapshot?: boolean }>): Promise<Record<string, DumpedRelation>>;
