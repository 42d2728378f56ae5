import * as v from 'valibot';
import { describe, expect, test } from 'vitest';
import type { PathSegment } from '../config/issues.js';
import { issueSegments, optionIssueMessage, valibotKeysAt } from './option-issues.js';

const schema = v.strictObject({
  password_file: v.pipe(v.string(), v.minLength(1, 'password_file must not be empty')),
  allow_anonymous: v.optional(v.boolean()),
  timeout: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(60))),
  retries: v.optional(v.pipe(v.number(), v.integer())),
  mode: v.optional(v.picklist(['fast', 'safe'])),
  users: v.optional(v.array(v.string())),
  acl: v.optional(v.record(v.string(), v.array(v.strictObject({ topic: v.string(), access: v.string() })))),
  tls: v.optional(v.nullable(v.strictObject({ ca: v.string() }))),
});

async function messages(input: unknown): Promise<Record<string, string>> {
  const result = await schema['~standard'].validate(input);
  const known = (parent: readonly PathSegment[]) => valibotKeysAt(schema, parent);
  return Object.fromEntries(
    (result.issues ?? []).map((issue) => [issueSegments(issue).join('/'), optionIssueMessage(issue, known)]),
  );
}

describe('optionIssueMessage', () => {
  test('unknown and missing options', async () => {
    expect(await messages({ allow_anonymus: true })).toEqual({
      password_file: "missing required option 'password_file'",
      allow_anonymus: "unknown option 'allow_anonymus' (did you mean 'allow_anonymous'?)",
    });
    expect((await messages({ password_file: 'x', colour: 1 })).colour).toBe(
      "unknown option 'colour' (expected one of: password_file, allow_anonymous, timeout, retries, mode, users, acl, tls)",
    );
  });

  test('wrong types, with the value given', async () => {
    expect(
      await messages({ password_file: 5, timeout: 'abc', allow_anonymous: 'yes', mode: 'slow', users: 'bob' }),
    ).toEqual({
      password_file: "option 'password_file' must be a string (got 5)",
      timeout: 'option \'timeout\' must be a number (got "abc")',
      allow_anonymous: 'option \'allow_anonymous\' must be true or false (got "yes")',
      mode: 'option \'mode\' must be "fast" or "safe" (got "slow")',
      users: 'option \'users\' must be a list (got "bob")',
    });
  });

  test('rules of a pipe in words; a message the plugin wrote is kept', async () => {
    expect(await messages({ password_file: '', timeout: 61, retries: 1.5 })).toEqual({
      password_file: 'password_file must not be empty',
      timeout: "option 'timeout' must be <= 60 (got 61)",
      retries: "option 'retries' must be a whole number (got 1.5)",
    });
  });

  test('nested options: keys of records, list items and nullable objects', async () => {
    expect(
      await messages({ password_file: 'x', acl: { alice: [{ topic: 'a', acces: 'r' }] }, tls: { cA: 'x' } }),
    ).toEqual({
      'acl/alice/0/access': "missing required option 'acl.alice[0].access'",
      'acl/alice/0/acces': "unknown option 'acces' (did you mean 'access'?)",
      'tls/ca': "missing required option 'tls.ca'",
      'tls/cA': "unknown option 'cA' (did you mean 'ca'?)",
    });
  });

  test('a non-mapping section', async () => {
    expect(await messages('x')).toEqual({ '': 'expected a mapping of options (got "x")' });
  });

  test('issues of other validators are kept as they are', () => {
    expect(optionIssueMessage({ message: 'Required', path: ['x'] }, () => [])).toBe('Required');
  });
});

describe('valibotKeysAt', () => {
  test('walks entries, records, lists and wrappers', () => {
    expect(valibotKeysAt(schema, [])).toContain('password_file');
    expect(valibotKeysAt(schema, ['acl', 'anyone', 3])).toEqual(['topic', 'access']);
    expect(valibotKeysAt(schema, ['tls'])).toEqual(['ca']);
    expect(valibotKeysAt(schema, ['nope'])).toEqual([]);
    expect(valibotKeysAt({ '~standard': {} }, [])).toEqual([]);
  });
});
