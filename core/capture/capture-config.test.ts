import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { propertiesFileSchema } from '../project/schemas.js';
import { YamlFile } from '../project/yaml-file.js';
import { resolveCapture } from './capture-config.js';

const yaml = (cdc: string) => `version: 2
sources:
  - name: live
    tables:
      - name: customers
        cdc:
${cdc.split('\n').map((l) => `          ${l}`).join('\n')}
`;

function validate(cdc: string) {
  return YamlFile.parse('models/sources.yml', yaml(cdc)).validate(propertiesFileSchema);
}

describe('the capture: block', () => {
  it('is validated with the rest of the cdc: block, with defaults', () => {
    const result = validate('primary_key: id\ncapture:\n  slot: shop\n  connection: {host: db, port: 5433}');
    expect(result.errors).toEqual([]);
    const cdc = result.value!.sources![0]!.tables[0]!.cdc!;
    expect(cdc.path).toEqual([]);
    expect(cdc.capture).toEqual({ slot: 'shop', connection: { host: 'db', port: 5433 }, create_slot: false, snapshot: 'initial' });
  });

  it('a cdc: block needs path: or capture:, and a slot a valid name; errors name the line', () => {
    const none = validate('primary_key: id');
    expect(none.errors.map((e) => [e.message, e.location.line])).toEqual([[expect.stringContaining('needs path: (change-event files) or capture:'), 7]]);
    const bad = validate('primary_key: id\ncapture:\n  slot: Shop-Slot\n  snapshot: sometimes');
    expect(bad.errors.map((e) => e.location.line)).toEqual([9, 10]);
    expect(bad.errors[0]!.message).toContain('lower-case letters, digits and underscores');
    const unknown = validate('primary_key: id\ncapture:\n  slot: shop\n  create_slots: true');
    expect(unknown.warnings[0]!.message).toContain("Unknown key 'sources.0.tables.0.cdc.capture.create_slots'");
    expect(unknown.warnings[0]!.hint).toContain('create_slot');
  });
});

describe('resolveCapture', () => {
  const where = (key: (string | number)[]) => ({ file: 'models/sources.yml', line: 10 + key.length });

  it("renders env_var() and var(), falls back to PG* variables, names the publication after the slot", () => {
    const resolved = resolveCapture(
      { slot: "{{ var('slot', 'x') }}", connection: { host: "{{ env_var('OPS_HOST') }}", password: "{{ env_var('OPS_PASSWORD', '') }}" }, create_slot: true, snapshot: 'initial' },
      { OPS_HOST: 'ops.internal', PGUSER: 'reader', PGDATABASE: 'shop' },
      { slot: 'shop_live' },
      where,
    );
    expect(resolved).toEqual({
      slot: 'shop_live', publication: 'shop_live', createSlot: true, snapshot: 'initial',
      connection: { host: 'ops.internal', port: 5432, user: 'reader', database: 'shop', applicationName: 'smelt capture (slot shop_live)' },
    });
  });

  it('says which key needs which environment variable, and checks the rendered slot name', () => {
    const missing = () => resolveCapture({ slot: 's', connection: { password: "{{ env_var('OPS_PASSWORD') }}" }, create_slot: false, snapshot: 'initial' }, {}, {}, where);
    expect(missing).toThrow(ConfigError);
    expect(missing).toThrow("Environment variable 'OPS_PASSWORD' used by capture.connection.password is not set");
    const slot = () => resolveCapture({ slot: "{{ env_var('SLOT') }}", connection: {}, create_slot: false, snapshot: 'initial' }, { SLOT: 'Bad Name' }, {}, where);
    expect(slot).toThrow("capture.slot 'Bad Name' is not a valid slot name");
  });
});
