import { expect, it } from 'vitest';
import { allow, createBroker, definePlugin, deny } from '@midge/mqtt-core';
import { connect } from '@midge/mqtt-core/client';
import { coreReadme, exampleCode, printedBy } from '../readme-example.js';

// The README's Broker example, run as is; the test below checks the README still shows this exact code.
async function example(): Promise<void> {
  // README:start
  // A plugin in code (a YAML config names plugin packages instead).
  const policy = definePlugin({
    name: 'policy',
    apiVersion: 1,
    setup: () => ({
      authenticate: ({ client }) => (client.username === undefined ? deny('who are you?') : allow),
      authorizeTopic: ({ topic }) => (topic.startsWith('secret/') ? deny('secret') : allow),
    }),
  });

  // The same shape as a broker.yaml file; createBroker('broker.yaml') loads one.
  const broker = await createBroker(
    { listeners: { default: { type: 'tcp', bind: '127.0.0.1:0' } }, plugins: {}, log_level: 'warn' },
    { plugins: [policy] },
  );
  broker.on('client:connected', ({ client }) => console.log('connected:', client.username));
  await broker.start();
  const url = `mqtt://127.0.0.1:${broker.listeners()[0]!.port}`;

  const anonymous = await connect(url).then(
    () => 'admitted',
    (err: Error) => `${err.name}: ${err.message}`,
  );
  console.log(anonymous);

  const bob = await connect(url.replace('//', '//bob@'), { clientId: 'app' });
  const messages = bob.messages();
  await bob.subscribe('news/#', { qos: 1 });
  await bob.publish('secret/plans', 'x', { qos: 1 }); // acknowledged, then dropped: 3.1.1 cannot say no
  await broker.publish({ topic: 'news/today', payload: 'hello', qos: 1 }, { trusted: true });
  for await (const msg of messages) {
    console.log(msg.topic, msg.payload.toString());
    break;
  }
  console.log(JSON.stringify(broker.stats().dropped));
  await bob.end();
  await broker.close();
  // README:end
}

it('the README broker example runs and prints what the README says', async () => {
  const lines = await printedBy(example);
  expect(lines).toEqual([
    'ClientError: Connection refused: not authorised.',
    'connected: bob',
    'news/today hello',
    '{"denied":1}',
  ]);

  const readme = coreReadme();
  expect(readme).toContain(exampleCode(new URL(import.meta.url)));
  expect(readme).toContain(lines.join('\n'));
});
