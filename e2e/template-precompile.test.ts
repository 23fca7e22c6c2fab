import { describe, expect, it } from 'vitest';
import { TemplateEnvironment } from '../dist/core/template/environment.js';
import { PrecompiledTemplates } from '../dist/core/template/template-precompile.js';

// The worker runs the compiled module, so this file imports only from dist/ (importing core/
// sources too would patch nunjucks' code generator twice in one process).
describe('PrecompiledTemplates', () => {
  it('gives the code compile() would generate, keyed the same, and skips what does not compile', () => {
    const sources = [
      { path: 'models/a.sql', text: "select {{ 1 + 2 }} as x from {{ ref('b') }}" },
      { path: 'models/b.sql', text: '{% if true %}select 1{% endif %}' },
      { path: 'models/broken.sql', text: 'select {{ 1 + }}' },
    ];
    const precompiled = PrecompiledTemplates.start(sources);
    expect(precompiled).toBeDefined();
    const code = precompiled!.take();
    const environment = new TemplateEnvironment('shop');
    expect(Object.keys(code).sort()).toEqual([environment.templateHash(sources[0]!.text), environment.templateHash(sources[1]!.text)].sort());
    expect(code[environment.templateHash(sources[1]!.text)]).toBe(environment.generateCode(sources[1]!)!.code);
    expect(precompiled!.take()).toEqual({});
  });


  it('can be discarded unused', () => {
    const precompiled = PrecompiledTemplates.start([{ path: 'models/a.sql', text: 'select 1' }]);
    precompiled!.discard();
    expect(precompiled!.take()).toEqual({});
  });
});
