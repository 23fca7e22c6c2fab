import { withConnection, type Row } from '../adapters/adapter.js';
import { createAdapter } from '../adapters/create-adapter.js';
import { UsageError } from '../errors.js';
import { selectNodesDetailed } from '../graph/selector.js';
import type { Session } from '../session.js';

export interface ShowOptions {
  select?: string[];
  inline?: string;
  limit: number;
}

export interface ShowResult {
  title: string;
  columns: string[];
  rows: Row[];
}

/** `smelt show`: the first rows a model (or an inline query) returns, without building anything. */
export async function showTask(session: Session, options: ShowOptions): Promise<ShowResult> {
  const { manifest, dag, templates } = session.compiled;
  let sql: string;
  let title: string;
  if (options.inline !== undefined) {
    sql = templates.renderInline(options.inline);
    title = 'inline query';
  } else {
    const { selected } = selectNodesDetailed(manifest, dag, { select: options.select, resourceTypes: ['model', 'seed', 'snapshot'] });
    if (!options.select?.length || selected.length !== 1) {
      throw new UsageError(selected.length === 0 ? 'smelt show needs one model: nothing matches the selection' : `smelt show previews one model; the selection matches ${selected.length}`, {}, 'Example: smelt show -s fact_sales --limit 10, or --inline "select ...".');
    }
    const node = manifest.nodes[selected[0]!]!;
    // A seed or snapshot is read where it was built; a model's query runs as compiled.
    sql = node.resourceType === 'model' ? node.compiledSql : `select * from ${session.run.quote(node.relation.schema)}.${session.run.quote(node.relation.identifier)}`;
    title = node.name;
  }
  const adapter = await createAdapter(session.target, session.root, 1);
  try {
    await adapter.open();
    const rows = await withConnection(adapter, (connection) => connection.query(adapter.dialect.limit(sql, options.limit)));
    return { title, columns: rows[0] ? Object.keys(rows[0]) : [], rows };
  } finally {
    await adapter.close();
  }
}
