import type { Command } from 'commander';
import { Option } from 'commander';
import { selectNodesDetailed } from '../core/graph/selector.js';
import { readState, stateSelectorMethod } from '../core/state/run-state.js';
import type { ManifestNode, ResourceType } from '../core/manifest/types.js';
import { EXIT_OK, guard, projectOptions, selectionOptions, sessionFor, type CliState, type CommonFlags } from './common.js';

interface LsFlags extends CommonFlags {
  output: 'selector' | 'name' | 'path' | 'json';
  resourceType?: ResourceType[];
}

export function registerLs(program: Command, state: CliState): void {
  const command = program
    .command('ls')
    .alias('list')
    .description('list the nodes a selector picks')
    .addOption(new Option('--output <format>', 'how to print each node').choices(['selector', 'name', 'path', 'json']).default('selector'))
    .addOption(new Option('--resource-type <types...>', 'only these kinds of node').choices(['model', 'seed', 'snapshot', 'test', 'source']))
    .addHelpText('after', '\nExamples:\n  smelt ls -s +fact_sales\n  smelt ls -s tag:pii --output path');
  selectionOptions(projectOptions(command)).action(async (flags: LsFlags) => {
    await guard(state, flags, (output) => {
      const session = sessionFor(flags, state, output);
      const { manifest, dag } = session.compiled;
      const runState = readState(session.targetPath, session.target.name);
      const { selected, unmatched } = selectNodesDetailed(manifest, dag, {
        select: flags.select,
        exclude: flags.exclude,
        resourceTypes: flags.resourceType,
        extraMethods: { state: stateSelectorMethod(manifest, runState) },
      });
      unmatched.forEach((s) => output.warn(`Nothing matches the selector '${s}'`));
      for (const id of selected) {
        const node = (manifest.nodes[id] as ManifestNode | undefined) ?? manifest.sources[id]!;
        switch (flags.output) {
          case 'name':
            output.line(node.name);
            break;
          case 'path':
            output.line(node.path);
            break;
          case 'json':
            output.line(JSON.stringify({ unique_id: node.uniqueId, name: node.name, resource_type: node.resourceType, path: node.path, tags: node.tags, config: node.config }));
            break;
          default:
            output.line(node.resourceType === 'source' ? `source:${node.fqn.join('.')}` : node.fqn.join('.'));
        }
      }
      return EXIT_OK;
    });
  });
}
