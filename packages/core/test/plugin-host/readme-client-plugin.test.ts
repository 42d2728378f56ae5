/** packages/core/README.md, client plugins (`runsIn: 'client'`, `ctx.client`). */
import { expect, it } from 'vitest';
import { definePlugin } from '@midge/mqtt-core';
import { connect } from '@midge/mqtt-core/client';
import { createTestBroker } from '@midge/mqtt-core/testing';
import { coreReadme, exampleCode, printedBy } from '../readme-example.js';

// The README's example, run as is; the test below checks the README still shows this exact code.
async function example(): Promise<void> {
  // README:start
  // Runs in the client: answers each message on `ping` with one on `pong`, published through the client.
  const ponger = definePlugin({
    name: 'ponger',
    apiVersion: 1,
    runsIn: 'client',
    setup: (ctx) => ({
      events: {
        'packet:received': ({ packet }) => {
          if (packet.type !== 'publish' || packet.topic !== 'ping') return;
          void ctx.client.publish({ topic: 'pong', payload: `pong from ${ctx.client.info().clientId}` });
        },
      },
    }),
  });

  const broker = await createTestBroker();
  const device = await connect(broker.url, { clientId: 'device-1', extraPlugins: [ponger] });
  await device.subscribe('ping');
  const tester = await connect(broker.url);
  await tester.subscribe('pong');
  const replies = tester.messages();
  await tester.publish('ping', 'hi');
  for await (const msg of replies) {
    console.log(msg.payload.toString());
    break;
  }
  await device.end();
  await tester.end();
  await broker.close();
  // README:end
}

it('the README example runs and prints what the README says', async () => {
  const lines = await printedBy(example);
  expect(lines).toEqual(['pong from device-1']);

  const readme = coreReadme();
  expect(readme).toContain(exampleCode(new URL(import.meta.url)));
  expect(readme).toContain(lines.join('\n'));
});
