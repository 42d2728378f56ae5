import { expect, it } from 'vitest';
import { connect } from '@midge/mqtt-core/client';
import { coreReadme, exampleCode, printedBy } from '../readme-example.js';
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
  const lines = await printedBy(example);
  expect(lines).toEqual(['sensors/1/temperature 21.5 qos 1', 'sensors/1/humidity 40 qos 1']);

  const readme = coreReadme();
  expect(readme).toContain(exampleCode(new URL(import.meta.url)));
  expect(readme).toContain(lines.join('\n'));
});
