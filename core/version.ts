import { readFileSync } from 'node:fs';

/** The package version, read once from package.json next to the built files. */
export const SMELT_VERSION: string = (() => {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'smelt' && pkg.version) return pkg.version;
    } catch {
      // try the next location: the source tree and dist/ sit at different depths
    }
  }
  return '0.0.0';
})();
