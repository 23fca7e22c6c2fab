import { join } from 'node:path';
import { createAdapter } from '../adapters/create-adapter.js';
import type { Reporter } from '../runner/reporter.js';
import type { Session } from '../session.js';
import { generateDocs, type GenerateDocsResult } from './generate-docs.js';
import { readLastResults } from './last-results.js';
import { lineageCachePath } from './lineage/lineage-cache.js';

export interface DocsGenerateOptions {
  /** Do not open the warehouse for column types (the SQL parser still runs). */
  emptyCatalog?: boolean;
}

export interface DocsGenerateTaskResult extends GenerateDocsResult {
  outDir: string;
}

/** `smelt docs generate`: the compiled manifest, last run results and warehouse columns -> target/docs/. */
export async function docsGenerateTask(session: Session, options: DocsGenerateOptions, reporter: Reporter): Promise<DocsGenerateTaskResult> {
  const outDir = join(session.targetPath, 'docs');
  // Read-only: docs never create a warehouse or change one.
  const adapter = await createAdapter(session.target, session.root, 1, { readOnly: true });
  try {
    const result = await generateDocs({
      manifest: session.compiled.manifest,
      outDir,
      projectRoot: session.root,
      adapter,
      readWarehouse: !options.emptyCatalog,
      results: readLastResults(session.targetPath),
      lineageCachePath: lineageCachePath(session.targetPath),
      warn: (message) => reporter.warn(message),
    });
    return { ...result, outDir };
  } finally {
    await adapter.close();
  }
}
