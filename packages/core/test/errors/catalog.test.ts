import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ClientError, ClientErrorCode } from '../../src/client/errors.js';
import { CodecError, CodecErrorCode, MidgeError } from '../../src/codec/errors.js';
import {
  ErrorCodes,
  isErrorCode,
  PluginError,
  type ErrorCode,
  type ErrorCodeInfo,
  type ErrorCodeOf,
} from '../../src/errors.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const codes = Object.keys(ErrorCodes) as ErrorCode[];

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

describe('the error code catalog', () => {
  // Checked by the type checker (`pnpm run typecheck` includes test/): each @ts-expect-error below fails
  // the typecheck if its line ever compiles.
  it('makes a code that is not listed a compile error', () => {
    // @ts-expect-error a typo is not an ErrorCode
    const typo = () => new MidgeError('BROKER_STAT', 'x');
    // @ts-expect-error PluginError takes only PLUGIN_* codes
    const wrongClass = () => new PluginError('LISTENER_BIND', 'p', 'x');
    // @ts-expect-error CodecError takes only CODEC_* codes
    const wrongCodec = () => new CodecError('CONFIG_INVALID', 'x', 0x81);
    expect([typo, wrongClass, wrongCodec]).toHaveLength(3);
    expectTypeOf<ErrorCodeOf<'PluginError'>>().toEqualTypeOf<
      | 'PLUGIN_NOT_FOUND'
      | 'PLUGIN_LOAD_FAILED'
      | 'PLUGIN_INVALID'
      | 'PLUGIN_API_VERSION'
      | 'PLUGIN_SETUP_FAILED'
      | 'PLUGIN_SETUP_TIMEOUT'
      | 'PLUGIN_RELOAD_TIMEOUT'
    >();
  });

  it('lists the codec and client code tables exactly, under their classes', () => {
    const ofClass = (cls: string) => codes.filter((c) => ErrorCodes[c].errorClass === cls).sort();
    expect(ofClass('CodecError')).toEqual(Object.values(CodecErrorCode).sort());
    expect(ofClass('ClientError')).toEqual(Object.values(ClientErrorCode).sort());
    expect(new ClientError(ClientErrorCode.timeout, 'x').code).toBe('CLIENT_TIMEOUT');
  });

  it('prefixes each code with its area and gives every one a description and a hint', () => {
    for (const code of codes) {
      expect(code, code).toMatch(/^(CODEC|CONFIG|PLUGIN|BROKER|LISTENER|CLIENT)_[A-Z0-9_]+$/);
      const { errorClass, description, hint } = ErrorCodes[code];
      if (code.startsWith('PLUGIN_')) expect(errorClass, code).toBe('PluginError');
      expect(description.length, code).toBeGreaterThan(20);
      expect(hint.length, code).toBeGreaterThan(10);
      expect(description + hint, code).not.toMatch(/\n/);
    }
  });

  it('lists only codes some source throws, unless retired (a listed typo never goes unnoticed)', () => {
    const catalog = fileURLToPath(new URL('../../src/codec/error-codes.ts', import.meta.url));
    const sources = ['packages', 'apps']
      .flatMap((group) => readdirSync(join(repoRoot, group)).map((name) => join(repoRoot, group, name, 'src')))
      .flatMap((dir) => {
        try {
          return sourceFiles(dir);
        } catch {
          return [];
        }
      })
      .filter((file) => file !== catalog)
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    const live = codes.filter((code) => (ErrorCodes[code] as ErrorCodeInfo).retired !== true);
    const unused = live.filter((code) => !sources.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });

  it('isErrorCode accepts exactly the listed codes', () => {
    expect(isErrorCode('PLUGIN_NOT_FOUND')).toBe(true);
    expect(isErrorCode('PLUGIN_NOT_FOUNDX')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });
});

describe('docs/errors.md', () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'errors.md'), 'utf8');
  const sections = new Map(
    doc
      .split(/^### /m)
      .slice(1)
      .map((section) => [section.slice(0, section.indexOf('\n')).trim(), section] as const),
  );

  it('has a section for every code and none for a code that does not exist', () => {
    expect([...sections.keys()].sort()).toEqual([...codes].sort());
  });

  it("gives each code the catalog's current description and hint", () => {
    for (const code of codes) {
      const section = sections.get(code) ?? '';
      expect(section, code).toContain(ErrorCodes[code].description);
      expect(section, code).toContain(ErrorCodes[code].hint);
    }
  });
});
