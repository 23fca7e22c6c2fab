import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { projectSchema, propertiesFileSchema } from './schemas.js';
import { YamlFile } from './yaml-file.js';

describe('YamlFile.parse', () => {
  it('reports a syntax error at its 1-based line and column', () => {
    const text = 'name: shop\nmodels:\n  bronze: [\n';
    const error = catchError(() => YamlFile.parse('project.yml', text));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^Invalid YAML: /);
    expect(error.location).toMatchObject({ file: 'project.yml', line: 4, column: 1 });
    expect(error.hint).toBeTruthy();
  });

  it('reports a bad indentation at the offending line', () => {
    const text = 'version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n     oops: 1\n';
    expect(catchError(() => YamlFile.parse('models/schema.yml', text)).location).toMatchObject({ file: 'models/schema.yml', line: 6 });
  });

  it('rejects duplicate keys', () => {
    expect(catchError(() => YamlFile.parse('project.yml', 'name: a\nname: b\n')).location.line).toBe(2);
  });

  it('treats an empty file as an empty mapping', () => {
    expect(YamlFile.parse('x.yml', '').value).toEqual({});
  });

  // Values are read by js-yaml where it reads them as the `yaml` package does, and by `yaml`
  // otherwise: every file below must give exactly the reference value.
  const scalars = ['1', '-1', '+1', '012', '0o12', '0x1F', '0b101', '1_000', '1.5', '1e3', '1E3', '+1.5e-3', '.5', '5.', '.inf', '-.inf', '.Inf', '.NaN', 'true', 'True', 'TRUE', 'tRue', 'yes', 'no', 'on', 'off', 'null', 'Null', 'NULL', '~', '', '2020-01-01', '2020-01-01 10:00:00', '12:30', '1:20:30', '-0', '00', '-.5', '0x', '999999999999999999999', '1.0e+400', '-0.0', '"1"', "'x'", 'abc # c', '[1, 2]', '{a: 1}', '>\n  folded\n  text\n', '|\n  lit\n  text\n', '|-\n  x\n', '"\\u00e9\\x41\\t"', "'it''s'", '!!str 1', '!!int "3"', 'count(*)', '* not an alias', '*alias_without_anchor'];
  const documents = [
    ...scalars.map((scalar) => `k: ${scalar}\n`),
    'a: &x {b: 1}\nc: *x\n',
    'a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\n',
    '? [a, b]\n: 1\n',
    '1: x\ntrue: y\n',
    'null: 1\n~: 2\n',
    '{null: 1}\n',
    ': 1\n',
    'a: !custom 1\n',
    'a: !!binary aGVsbG8=\n',
    '%YAML 1.1\n---\na: yes\n',
    '\ufeffa: 1\n',
    'a: 1\r\nb: 2\r\n',
    '- a\n- b\n',
    '---\na: 1\n...\n',
    'x: "é ✓"\n',
    'a: 1 # comment\n# c\n',
    '"": 1\n',
    'a:\n',
    '__proto__: {polluted: true}\n',
    'version: 2\nmodels:\n  - name: orders\n    description: "Orders: one row per order; see *notes*"\n    config: {materialized: table, tags: [a, "b"]}\n    columns:\n      - name: id\n        tests: [unique, not_null]\n',
  ];
  it.each(documents)('reads %j as the yaml package does', (text) => {
    const reference = parseDocument(text, { uniqueKeys: true });
    let expected: unknown;
    try {
      expected = reference.toJS({ maxAliasCount: 1000 }) ?? {};
    } catch {
      expected = undefined;
    }
    if (reference.errors.length > 0 || expected === undefined) {
      expect(() => YamlFile.parse('x.yml', text)).toThrow(ConfigError);
      return;
    }
    const value = YamlFile.parse('x.yml', text).value;
    expect(value).toStrictEqual(expected);
  });

  it('still names the line of a value read by the fast path', () => {
    const file = YamlFile.parse('x.yml', 'version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n');
    expect(file.lineOf(['models', 0, 'columns', 0, 'name'])).toBe(5);
  });
});

describe('YamlFile.lineOf', () => {
  const yaml = YamlFile.parse('models/schema.yml', 'version: 2\nmodels:\n  - name: a\n    description: x\n  - name: b\n    columns:\n      - name: id\n');

  it('finds the line of a nested value', () => {
    expect(yaml.lineOf(['models', 1, 'name'])).toBe(5);
    expect(yaml.lineOf(['models', 1, 'columns', 0, 'name'])).toBe(7);
  });

  it('falls back to the closest existing parent', () => {
    expect(yaml.lineOf(['models', 0, 'tests', 3])).toBe(3);
  });
});

describe('YamlFile.validate', () => {
  it('turns unknown keys into warnings with their line and keeps the rest', () => {
    const yaml = YamlFile.parse('project.yml', 'name: shop\nversion: "1.0"\nmodle-paths: [x]\n');
    const result = yaml.validate(projectSchema);
    expect(result.errors).toEqual([]);
    expect(result.value?.name).toBe('shop');
    expect(result.value?.['model-paths']).toEqual(['models']);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]!.message).toContain("'modle-paths'");
    expect(result.warnings[0]!.location).toMatchObject({ file: 'project.yml', line: 3 });
  });

  it('suggests the closest known key for an unknown one, at any depth', () => {
    const text = 'name: shop\nmodle-paths: [x]\ntargets:\n  dev:\n    type: duckdb\n    pathh: x\n';
    const { warnings } = YamlFile.parse('project.yml', text).validate(projectSchema);
    expect(warnings.map((w) => [w.message, w.hint])).toEqual([
      ["Unknown key 'targets.dev.pathh' is ignored", "Did you mean 'path'?"],
      ["Unknown key 'modle-paths' is ignored", "Did you mean 'model-paths'?"],
    ]);
    const props = YamlFile.parse('s.yml', 'version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        tsts: []\n').validate(propertiesFileSchema);
    expect(props.warnings[0]!.hint).toBe("Did you mean 'tests'?");
    const far = YamlFile.parse('project.yml', 'name: shop\nzzzzzz: 1\n').validate(projectSchema);
    expect(far.warnings[0]!.hint).toBe('Check the spelling against the documented keys.');
  });

  it('says what was expected, in YAML terms', () => {
    const { errors } = YamlFile.parse('project.yml', 'name: shop\nmodel-paths: 42\nvars: [1]\n').validate(projectSchema);
    expect(errors.map((e) => [e.message, e.location.line])).toEqual([
      ["'model-paths': expected string or array, got number", 2],
      ["'vars': expected record, got array", 3],
    ]);
    expect(errors[0]!.hint).toMatch(/^Write text .*, or a list/);
    expect(errors[1]!.hint).toMatch(/^Write a mapping/);
  });

  it('reports wrong types as errors at the line of the value', () => {
    const yaml = YamlFile.parse('project.yml', 'name: shop\nversion: "1.0"\n\nvars: 3\n');
    const result = yaml.validate(projectSchema);
    expect(result.value).toBeUndefined();
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.message).toContain("'vars'");
    expect(result.errors[0]!.location).toMatchObject({ file: 'project.yml', line: 4 });
  });

  it('reports every wrong value, and unknown keys next to them', () => {
    const text = [
      'version: 2',
      'models:',
      '  - name: orders',
      '    descripton: typo',
      '    columns:',
      '      - name: id',
      '        tests: 5',
      '  - name: 7',
    ].join('\n');
    const result = YamlFile.parse('models/schema.yml', text).validate(propertiesFileSchema);
    expect(result.errors.map((e) => e.location.line).sort()).toEqual([7, 8]);
    expect(result.errors[0]!.location.file).toBe('models/schema.yml');
    expect(result.warnings.map((w) => w.location.line)).toEqual([4]);
  });

  it('validates a sub-tree and names its full path', () => {
    const yaml = YamlFile.parse('x.yml', 'outer:\n  inner:\n    n: text\n');
    const result = yaml.validate(z.strictObject({ n: z.number() }), ['outer', 'inner'], 'model.x.y');
    expect(result.errors[0]!.message).toContain("'outer.inner.n'");
    expect(result.errors[0]!.location).toMatchObject({ line: 3, node: 'model.x.y' });
  });

  it('validates target definitions, including the discriminating type', () => {
    const text = 'name: shop\ntargets:\n  dev:\n    type: sqlite\n  pg:\n    type: postgres\n    port: "{{ env_var(\'PGPORT\', \'5432\') }}"\n';
    const result = YamlFile.parse('project.yml', text).validate(projectSchema);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.message).toContain('targets.dev.type');
    expect(result.errors[0]!.location.line).toBe(4);
  });
});

function catchError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected an error');
}
