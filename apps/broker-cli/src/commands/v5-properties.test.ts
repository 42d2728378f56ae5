import { describe, expect, it } from 'vitest';
import { takePropertyFlags } from './v5-properties.js';

describe('-D COMMAND IDENTIFIER VALUE', () => {
  it('takes the -D flags out, typed as the codec names them, user properties in order', () => {
    const r = takePropertyFlags(
      [
        '-t',
        'x',
        '-D',
        'publish',
        'user-property',
        'unit',
        'celsius',
        '--property',
        'publish',
        'user-property',
        'room',
        'hall',
        '-D',
        'publish',
        'message-expiry-interval',
        '30',
        '-D',
        'publish',
        'payload-format-indicator',
        '1',
        '-D',
        'publish',
        'correlation-data',
        'abc',
        '-D',
        'connect',
        'session-expiry-interval',
        '60',
        '-m',
        'hi',
      ],
      ['connect', 'publish'],
    );
    expect(r.argv).toEqual(['-t', 'x', '-m', 'hi']);
    expect(r.any).toBe(true);
    expect(r.properties).toEqual({
      publish: {
        userProperties: [
          ['unit', 'celsius'],
          ['room', 'hall'],
        ],
        messageExpiryInterval: 30,
        payloadFormatIndicator: true,
        correlationData: Buffer.from('abc'),
      },
      connect: { sessionExpiryInterval: 60 },
    });
    expect(takePropertyFlags(['-D', 'subscribe', 'subscription-identifier', '5'], ['subscribe']).properties).toEqual({
      subscribe: { subscriptionIdentifier: [5] },
    });
  });

  it('names what is allowed when the command, the property or the value is wrong', () => {
    expect(() => takePropertyFlags(['-D', 'subscribe', 'x', '1'], ['connect', 'publish'])).toThrow(
      /-D needs a command first: connect or publish, got 'subscribe'/,
    );
    expect(() => takePropertyFlags(['-D', 'publish', 'colour', 'red'], ['publish'])).toThrow(
      /unknown property 'colour' \(known: payload-format-indicator, .*user-property\)/,
    );
    expect(() => takePropertyFlags(['-D', 'publish', 'message-expiry-interval', 'soon'], ['publish'])).toThrow(
      /needs a whole number, got 'soon'/,
    );
    expect(() => takePropertyFlags(['-D', 'publish', 'user-property', 'only-a-name'], ['publish'])).toThrow(
      /needs a name and a value/,
    );
  });
});
