import { readFileSync } from 'node:fs';
import { expect, it, vi } from 'vitest';
import { connect } from '@midge/mqtt-core/client';
import { createTestBroker } from '@midge/mqtt-core/testing';

// The README's Client example, run as is; the test below checks the README still shows this exact code.
async function example(): Promise<void> {
  // README:start
  // A broker to talk to; any MQTT broker works, e.g. connect('mqtts://user:pass@broker.example:8883').
  const broker = await createTestBroker();

  const reader = await connect(broker.url, { clientId: 'reader', keep_alive: 30 });
  await reader.subscribe('sensors/#', { qos: 1 });
  const messages = reader.messages(); // sees what arrives from now on

  const writer = await connect({ url: broker.url, will: { topic: 'status/writer', message: 'gone' } });
  await writer.publish('sensors/1/temperature', '21.5', { qos: 1 }); // settles on PUBACK
  await writer.publish('sensors/1/humidity', '40', { qos: 2 }); // settles on PUBCOMP
  await writer.disconnect(); // DISCONNECT: the broker drops the will

  let n = 0;
  for await (const msg of messages) {
    console.log(msg.topic, msg.payload.toString(), `qos ${msg.qos}`);
    if (++n === 2) break;
  }
  await reader.end();
  await broker.close();
  // README:end
}

it('the README example runs and prints what the README says', async () => {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  try {
    await example();
  } finally {
    spy.mockRestore();
  }
  expect(lines).toEqual(['sensors/1/temperature 21.5 qos 1', 'sensors/1/humidity 40 qos 1']);

  const source = readFileSync(new URL(import.meta.url), 'utf8');
  const body = /\/\/ README:start\n([\s\S]*?)\n\s*\/\/ README:end/.exec(source)?.[1] ?? '';
  const code = body.replace(/^ {2}/gm, '');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(code);
  expect(readme).toContain(lines.join('\n'));
});
