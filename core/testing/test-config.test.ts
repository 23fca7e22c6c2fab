import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { normaliseTestConfig, parseThreshold, testSettings, testStatus } from './test-config.js';

describe('test config', () => {
  it('parses dbt thresholds', () => {
    expect(parseThreshold('!= 0', 'warn_if', {})).toEqual({ operator: '!=', value: 0 });
    expect(parseThreshold('>10', 'warn_if', {})).toEqual({ operator: '>', value: 10 });
    expect(parseThreshold('<> 2', 'error_if', {})).toEqual({ operator: '!=', value: 2 });
    expect(parseThreshold('== 1.5', 'error_if', {})).toEqual({ operator: '=', value: 1.5 });
    expect(() => parseThreshold('lots', 'warn_if', { file: 'models/x.yml', line: 3 })).toThrow(ConfigError);
  });

  it("decides pass, warn and fail as dbt does (error first, at error severity only)", () => {
    const settings = (config: Record<string, unknown>) => testSettings(normaliseTestConfig(config, {}));
    expect(testStatus(settings({}), 0)).toBe('pass');
    expect(testStatus(settings({}), 3)).toBe('fail');
    expect(testStatus(settings({ severity: 'warn' }), 3)).toBe('warn');
    expect(testStatus(settings({ severity: 'WARN', error_if: '>0' }), 3)).toBe('warn');
    expect(testStatus(settings({ warn_if: '>1', error_if: '>5' }), 1)).toBe('pass');
    expect(testStatus(settings({ warn_if: '>1', error_if: '>5' }), 3)).toBe('warn');
    expect(testStatus(settings({ warn_if: '>1', error_if: '>5' }), 6)).toBe('fail');
  });

  it('rejects bad severity, limit, where and fail_calc with the location given', () => {
    const at = { file: 'models/schema.yml', line: 7 };
    expect(() => normaliseTestConfig({ severity: 'fatal' }, at)).toThrow(/severity must be 'error' or 'warn'/);
    expect(() => normaliseTestConfig({ limit: -1 }, at)).toThrow(/limit must be a whole number/);
    expect(() => normaliseTestConfig({ where: ['a'] }, at)).toThrow(/where must be a SQL condition/);
    expect(() => normaliseTestConfig({ fail_calc: 3 }, at)).toThrow(/fail_calc/);
    try {
      normaliseTestConfig({ severity: 'fatal' }, at);
    } catch (error) {
      expect((error as ConfigError).where).toBe('models/schema.yml:7');
    }
  });
});
