import { describe, expect, test } from 'vitest';
import { DEFAULT_CONFIG_YAML } from '../../src/config/defaults.js';
import { createConfigJsonSchema } from '../../src/config/json-schema.js';
import { parseConfigYaml } from '../../src/config/load.js';

type Schema = Record<string, unknown> | boolean;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/**
 * Just enough of JSON Schema draft-07 for the keywords our generated schema uses, so the test needs no
 * validator dependency. Returns the paths that fail.
 */
function validate(schema: Schema, value: unknown, path = '$'): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: not allowed`];
  const errors: string[] = [];
  const s = schema;
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) errors.push(`${path}: type ${t}`);
  }
  if (Array.isArray(s.enum) && !s.enum.includes(value)) errors.push(`${path}: not in enum`);
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) errors.push(`${path}: < minimum`);
    if (typeof s.maximum === 'number' && value > s.maximum) errors.push(`${path}: > maximum`);
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum)
      errors.push(`${path}: <= exclusiveMinimum`);
  }
  if (typeof value === 'string') {
    if (typeof s.minLength === 'number' && value.length < s.minLength) errors.push(`${path}: too short`);
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) errors.push(`${path}: pattern`);
  }
  if (Array.isArray(s.anyOf) && !(s.anyOf as Schema[]).some((sub) => validate(sub, value, path).length === 0)) {
    errors.push(`${path}: matches no anyOf`);
  }
  if (s.not !== undefined && validate(s.not as Schema, value, path).length === 0) errors.push(`${path}: matches not`);
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, Schema>;
    for (const key of (s.required ?? []) as string[]) if (!(key in obj)) errors.push(`${path}.${key}: required`);
    for (const [key, v] of Object.entries(obj)) {
      if (s.propertyNames !== undefined)
        errors.push(...validate(s.propertyNames as Schema, key, `${path}.${key}(name)`));
      if (key in props) errors.push(...validate(props[key]!, v, `${path}.${key}`));
      else if (s.additionalProperties !== undefined)
        errors.push(...validate(s.additionalProperties as Schema, v, `${path}.${key}`));
    }
  }
  return errors;
}

describe('config JSON Schema', () => {
  const schema = createConfigJsonSchema() as Record<string, unknown>;

  test('is a draft-07 schema with a title, defaults and descriptions', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.title).toBe('Midge broker configuration');
    const props = schema.properties as Record<string, Record<string, unknown>>;
    expect(props.max_packet_size).toMatchObject({ type: 'integer', default: 1_048_576, maximum: 268_435_460 });
    expect(props.log_level?.default).toBe('info');
    expect(typeof props.listeners?.description).toBe('string');
    expect(schema.additionalProperties).toBe(false);
  });

  test('accepts the default config', () => {
    expect(validate(schema, parseConfigYaml(DEFAULT_CONFIG_YAML))).toEqual([]);
  });

  test('accepts a config using every listener key', () => {
    const config = {
      listeners: {
        default: { type: 'tcp', bind: ':1883', max_connections: 10 },
        secure: {
          bind: '[::1]:8883',
          ssl: 'on',
          certfile: 'c.pem',
          keyfile: 'k.pem',
          cafile: 'ca.pem',
          capath: 'cas',
          require_certificate: true,
        },
        ws: { type: 'ws', bind: '0.0.0.0:8080', path: '/mqtt' },
      },
      plugins: { '@midge/plugin-sys': { sys_interval: 5 }, './x.js': null },
      connect_timeout: 0.5,
      log_level: 'debug',
    };
    expect(validate(schema, config)).toEqual([]);
  });

  test('rejects unknown keys at the top and in listeners', () => {
    expect(validate(schema, { colour: 'red' })).toEqual(['$.colour: not allowed']);
    expect(validate(schema, { listeners: { default: { bnd: ':1' } } })).toEqual([
      '$.listeners.default.bnd: not allowed',
    ]);
  });

  test('rejects wrong values', () => {
    expect(
      validate(schema, { max_packet_size: 100.5, log_level: 'loud', listeners: { a: { type: 'udp', bind: 'x' } } }),
    ).toEqual([
      '$.max_packet_size: type number',
      '$.log_level: not in enum',
      '$.listeners.a.type: not in enum',
      '$.listeners.a.bind: pattern',
    ]);
  });
});

describe('config JSON Schema shipping', () => {
  test('the build writes dist/config.schema.json from createConfigJsonSchema, exported as ./config.schema.json', async () => {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
      exports: Record<string, unknown>;
      files: string[];
    };
    expect(pkg.scripts.build).toMatch(/tsc -b tsconfig\.build\.json && node scripts\/gen-config-schema\.mjs/);
    expect(pkg.exports['./config.schema.json']).toBe('./dist/config.schema.json');
    expect(pkg.files).toContain('dist');
    const script = await readFile(new URL('../../scripts/gen-config-schema.mjs', import.meta.url), 'utf8');
    expect(script).toContain('createConfigJsonSchema');
    expect(script).toContain('config.schema.json');
  });
});
