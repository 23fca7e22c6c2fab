/**
 * Ephemeral models are inlined into the models that ref them as common table expressions, the
 * way dbt does: `with __smelt_cte__x as (...)` is put before the model's SQL, or merged into the
 * model's own leading WITH clause.
 */
export interface Cte {
  name: string;
  sql: string;
}

export function cteName(model: string): string {
  return `__smelt_cte__${model}`;
}

export function inlineCtes(sql: string, ctes: readonly Cte[]): string {
  if (ctes.length === 0) return sql;
  const definitions = ctes.map((cte) => `${cte.name} as (\n${cte.sql.trim()}\n)`).join(',\n');
  const start = skipLeadingTrivia(sql);
  const head = /^with(\s+recursive)?\b/i.exec(sql.slice(start));
  if (head) {
    const at = start + head[0].length;
    return `${sql.slice(0, at)} ${definitions},\n${sql.slice(at).replace(/^\s+/, '')}`;
  }
  return `${sql.slice(0, start)}with ${definitions}\n${sql.slice(start)}`;
}

/** Index of the first character that is not white space or a comment. */
function skipLeadingTrivia(sql: string): number {
  let i = 0;
  for (;;) {
    while (i < sql.length && /\s/.test(sql[i]!)) i++;
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else {
      return i;
    }
  }
}
