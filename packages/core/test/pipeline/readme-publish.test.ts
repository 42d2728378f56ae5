import { expect, it } from 'vitest';
import { allow, createBroker, definePlugin, deny, type ClientInfo, type MidgeError } from '@midge/mqtt-core';
import { coreReadme, exampleCode, printedBy } from '../readme-example.js';

// The README's "Publishing from the application" example, run as is; the test checks the README shows it.
async function example(): Promise<void> {
  // README:start
  // Each user may publish under users/<username>/ only.
  const acl = definePlugin({
    name: 'acl',
    apiVersion: 1,
    setup: () => ({
      authorizeTopic: ({ client, action, topic }) =>
        action !== 'publish' || topic.startsWith(`users/${client.username}/`) ? allow : deny('not your topic'),
    }),
  });
  const broker = await createBroker(
    { listeners: { default: { type: 'tcp', bind: '127.0.0.1:0' } }, plugins: {}, log_level: 'warn' },
    { plugins: [acl] },
  );
  await broker.start();
  broker.on('message:broadcast', ({ origin, client, message }) =>
    console.log(origin, client?.username ?? '-', message.topic),
  );

  // A user of the application: published with her rights, as if she had published over MQTT.
  const alice: ClientInfo = {
    clientId: 'web-alice',
    username: 'alice',
    protocolVersion: 5,
    listener: 'web-app',
    remoteAddress: '',
    remotePort: 0,
    secure: false,
  };
  await broker.publish({ topic: 'users/alice/status', payload: 'online' }, { as: alice });
  await broker
    .publish({ topic: 'users/bob/status', payload: 'offline' }, { as: alice })
    .catch((err: MidgeError) => console.log(err.code, err.message));
  // The application's own message: trusted, so no plugin is asked.
  await broker.publish({ topic: 'announcements', payload: 'maintenance at 02:00', retain: true }, { trusted: true });
  await broker.close();
  // README:end
}

it('the README publishing example runs and prints what the README says', async () => {
  const lines = await printedBy(example);
  expect(lines).toEqual([
    'api alice users/alice/status',
    "BROKER_PUBLISH_DENIED publish to 'users/bob/status' as client 'web-alice' refused: not your topic",
    'api - announcements',
  ]);

  const readme = coreReadme();
  expect(readme).toContain(exampleCode(new URL(import.meta.url)));
  expect(readme).toContain(lines.join('\n'));
});
