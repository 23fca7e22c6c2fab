import type { RelationName } from '../manifest/types.js';

/** Quotes identifiers for the target's dialect; the template layer never hard-codes a quote. */
export type QuoteFn = (identifier: string) => string;

/**
 * What `ref()`, `source()` and `this` return in a template: renders as the quoted relation name,
 * and exposes `database`, `schema`, `identifier` and `name` as dbt's Relation does.
 */
export class TemplateRelation {
  constructor(
    readonly name: RelationName,
    private readonly quote: QuoteFn,
    /** For ephemeral models: the CTE name to render instead of a relation. */
    private readonly cteName?: string,
  ) {}

  get database(): string | undefined {
    return this.name.database;
  }

  get schema(): string {
    return this.name.schema;
  }

  get identifier(): string {
    return this.name.identifier;
  }

  get table(): string {
    return this.name.identifier;
  }

  render(): string {
    if (this.cteName) return this.cteName;
    const parts = [this.name.database, this.name.schema, this.name.identifier].filter((p): p is string => !!p);
    return parts.map(this.quote).join('.');
  }

  toString(): string {
    return this.render();
  }

  /** dbt: `{{ this.include(database=false) }}` and similar; only schema/identifier are meaningful here. */
  include(): TemplateRelation {
    return this;
  }
}

export function quoteDoubled(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
