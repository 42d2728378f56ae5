import { describe, expect, it } from 'vitest';
import { CLIENT_DEFAULTS, connackMessage, parseClientUrl, resolveClientOptions } from '../../src/client/index.js';

describe('client options', () => {
  it('defaults are aMQTT client defaults', () => {
    const o = resolveClientOptions({});
    expect(o).toMatchObject({
      transport: 'mqtt',
      host: '127.0.0.1',
      port: 1883,
      keepalive: 10,
      pingDelay: 1,
      defaultQos: 0,
      defaultRetain: false,
      autoReconnect: true,
      clean: true,
      reconnectMaxInterval: 10,
      reconnectRetries: 2,
      protocolVersion: 4,
    });
    expect(o.clientId).toMatch(/^midge-[0-9a-f]{8}$/);
    expect(o.plugins.map((p) => p.key)).toEqual(['@midge/plugin-logging/packet-logger']);
    expect(CLIENT_DEFAULTS.connection.uri).toBe('mqtt://127.0.0.1');
  });

  it('accepts aMQTT snake_case keys; camelCase wins over them', () => {
    const o = resolveClientOptions({
      keep_alive: 30,
      cleansession: false,
      default_qos: 1,
      reconnect_retries: -1,
      connection: { uri: 'ws://broker.example:8080/mqtt' },
      client_id: 'me',
      plugins: { 'amqtt.plugins.logging_amqtt.PacketLoggerPlugin': null },
      keepalive: 5,
    });
    expect(o).toMatchObject({ keepalive: 5, clean: false, defaultQos: 1, reconnectRetries: -1, clientId: 'me' });
    expect(o).toMatchObject({ transport: 'ws', host: 'broker.example', port: 8080, path: '/mqtt' });
    expect(o.plugins.map((p) => p.key)).toEqual(['@midge/plugin-logging/packet-logger']);
  });

  it('parses URIs: default ports, credentials, IPv6', () => {
    expect(parseClientUrl('mqtts://h')).toMatchObject({ transport: 'mqtts', port: 8883 });
    expect(parseClientUrl('wss://h')).toMatchObject({ transport: 'wss', port: 443 });
    expect(parseClientUrl('ws://h:9001')).toMatchObject({ port: 9001, path: undefined });
    expect(parseClientUrl('mqtt://u%40x:p%3Aw@[::1]:1884')).toMatchObject({
      host: '::1',
      port: 1884,
      username: 'u@x',
      password: 'p:w',
    });
    expect(() => parseClientUrl('http://h')).toThrow(/unsupported scheme/);
    expect(() => parseClientUrl('nope')).toThrow(/not a URL/);
  });

  it('rejects bad values with CLIENT_INVALID_ARGUMENT', () => {
    expect(() => resolveClientOptions({ default_qos: 3 as 0 })).toThrow(
      expect.objectContaining({ code: 'CLIENT_INVALID_ARGUMENT' }) as Error,
    );
    expect(() => resolveClientOptions({ keepalive: 70000 })).toThrow(/keepalive/);
    expect(() => resolveClientOptions({ will: { topic: 'a/#' } })).toThrow(/will topic/);
  });

  it('words CONNACK refusals like mosquitto', () => {
    expect(connackMessage(4, 4)).toBe('Connection refused: bad user name or password.');
    expect(connackMessage(0x87, 5)).toBe('Connection refused: not authorised.');
  });
});
