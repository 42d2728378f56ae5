import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  describeSuggestion,
  FIRST_PARTY_PLUGINS,
  installedPackages,
  isFirstPartyPackage,
  suggestPluginName,
} from './suggest.js';

const root = mkdtempSync(path.join(tmpdir(), 'midge-suggest-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('installedPackages', () => {
  test('every node_modules from the search dirs up, scoped packages included', () => {
    const app = path.join(root, 'app', 'config');
    mkdirSync(path.join(root, 'node_modules', '@acme', 'midge-plugin-prefix'), { recursive: true });
    mkdirSync(path.join(root, 'app', 'node_modules', 'midge-plugin-x'), { recursive: true });
    mkdirSync(path.join(root, 'app', 'node_modules', '.bin'), { recursive: true });
    mkdirSync(app, { recursive: true });
    const names = installedPackages([app]);
    expect(names.has('@acme/midge-plugin-prefix')).toBe(true);
    expect(names.has('midge-plugin-x')).toBe(true);
    expect(names.has('.bin')).toBe(false);
  });
});

describe('suggestPluginName', () => {
  const none = new Set<string>();

  test('a typo of one of our plugins', () => {
    expect(suggestPluginName('@midge/plugin-topic-tabo', none)).toEqual({
      name: '@midge/plugin-topic-taboo',
      installable: true,
    });
    expect(suggestPluginName('@midge/plugin-topic-whitelist', none)).toBeUndefined();
    expect(suggestPluginName('@midge/plugin-tpoic-acl', new Set(['@midge/plugin-topic-acl']))).toEqual({
      name: '@midge/plugin-topic-acl',
      installable: false,
    });
    expect(suggestPluginName('@midge/plugin-logging/event-loger', none)?.name).toBe(
      '@midge/plugin-logging/event-logger',
    );
  });

  test('a scope left out or spelt as a prefix', () => {
    expect(suggestPluginName('plugin-sys', none)?.name).toBe('@midge/plugin-sys');
    expect(suggestPluginName('midge-plugin-auth-file', none)?.name).toBe('@midge/plugin-auth-file');
  });

  test("a typo of aMQTT's names suggests ours", () => {
    const s = suggestPluginName('amqtt.plugins.topic_checking.TopicTabooPlugn', none);
    expect(s).toEqual({
      name: '@midge/plugin-topic-taboo',
      amqttName: 'amqtt.plugins.topic_checking.TopicTabooPlugin',
      installable: true,
    });
    expect(suggestPluginName('auth_fille', none)?.name).toBe('@midge/plugin-auth-file');
  });

  test('installed third-party packages, never a name that is far from all', () => {
    const installed = new Set(['@acme/midge-plugin-topic-prefix']);
    expect(suggestPluginName('@acme/midge-plugin-topic-prefx', installed)).toEqual({
      name: '@acme/midge-plugin-topic-prefix',
      installable: false,
    });
    expect(suggestPluginName('@acme/midge-plugin-topic-prefx', none)).toBeUndefined();
    expect(suggestPluginName('left-pad', none)).toBeUndefined();
  });
});

describe('describeSuggestion', () => {
  test('names npm install only for our own packages that are missing', () => {
    expect(describeSuggestion({ name: '@midge/plugin-sys', installable: false })).toBe(
      "did you mean '@midge/plugin-sys'?",
    );
    expect(describeSuggestion({ name: '@midge/plugin-logging/event-logger', installable: true })).toBe(
      "did you mean '@midge/plugin-logging/event-logger'?; install it next to the config file: npm install @midge/plugin-logging",
    );
    expect(describeSuggestion({ name: '@midge/plugin-sys', amqttName: 'broker_sys', installable: false })).toBe(
      "did you mean '@midge/plugin-sys' (Midge's name for aMQTT's 'broker_sys')?",
    );
  });

  test('first-party packages', () => {
    expect(isFirstPartyPackage('@midge/plugin-logging')).toBe(true);
    expect(isFirstPartyPackage('@midge/plugin-topic-tabo')).toBe(false);
    expect(FIRST_PARTY_PLUGINS).toContain('@midge/plugin-cluster-nats');
    expect(FIRST_PARTY_PLUGINS).not.toContain('@midge/plugin-bus-redis'); // retired
    expect(isFirstPartyPackage('@midge/plugin-cluster-nats')).toBe(true);
  });
});
