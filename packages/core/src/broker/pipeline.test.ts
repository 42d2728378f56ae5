import { describe, expect, it } from 'vitest';
import { allow, deny } from '../plugin-api/decision.js';
import type { ClientInfo, Decision, Message, MessageOrigin } from '../plugin-api/types.js';
import { recordingLogger, testClientInfo } from '../testing/plugin-context.js';
import { EventBus } from './events.js';
import { BROKER_ONLY_TOPIC, Pipeline, SENDER_CLOSED, TRUSTED, type Sender } from './pipeline.js';
import type { PluginHostLike } from './plugin-port.js';
import type { BrokerServices } from './services.js';
import { StatsCounter } from './stats.js';

type Routed = [topic: string, payload: string, client: string | undefined, origin: MessageOrigin];

/** A pipeline over a recording router, with `decide` as the plugins' publish authorization (none if undefined). */
function pipelineWith(decide?: (client: ClientInfo, topic: string) => Decision | Promise<Decision>) {
  const log = recordingLogger();
  const host =
    decide === undefined
      ? undefined
      : ({ hasTopicAuthorization: true, authorizeTopic: ({ client, topic }) => decide(client, topic) } as Pick<
          PluginHostLike,
          'hasTopicAuthorization' | 'authorizeTopic'
        > as PluginHostLike);
  const services = {
    log,
    debug: false,
    stats: new StatsCounter(),
    events: new EventBus(log),
    host,
  } as unknown as BrokerServices;
  const routed: Routed[] = [];
  // Each message matches one subscription.
  const router = {
    publish: (m: Message, client: ClientInfo | undefined, origin: MessageOrigin): number => {
      routed.push([m.topic, m.payload.toString(), client?.clientId, origin]);
      return 1;
    },
  };
  return { pipeline: new Pipeline(services, router), routed, stats: services.stats, log };
}

const message = (topic: string, payload = 'x'): Message => ({
  topic,
  payload: Buffer.from(payload),
  qos: 0,
  retain: false,
});
const alice = testClientInfo('alice', { clientId: 'alice-1' });

describe('Pipeline.publishFrom', () => {
  it('routes a trusted message without asking the plugins', () => {
    const { pipeline, routed } = pipelineWith(() => {
      throw new Error('must not be asked');
    });
    expect(pipeline.publishFrom('api', TRUSTED, message('t'))).toBe(1);
    expect(routed).toEqual([['t', 'x', undefined, 'api']]);
  });

  it('refuses $SYS and $share topics to every origin but a trusted api publish', () => {
    const { pipeline, routed, stats } = pipelineWith(() => allow);
    expect(pipeline.publishFrom('client', alice, message('$SYS/x'))).toBe(BROKER_ONLY_TOPIC);
    expect(pipeline.publishFrom('will', alice, message('$share/g/t'))).toBe(BROKER_ONLY_TOPIC);
    expect(pipeline.publishFrom('api', alice, message('$SYS/x'))).toBe(BROKER_ONLY_TOPIC);
    expect(pipeline.publishFrom('cluster:b', TRUSTED, message('$SYS/x'))).toBe(BROKER_ONLY_TOPIC);
    expect(pipeline.publishFrom('bridge:legacy', TRUSTED, message('$SYS/x'))).toBe(BROKER_ONLY_TOPIC);
    expect(stats.dropped['sys-topic']).toBe(5);
    expect(pipeline.publishFrom('api', TRUSTED, message('$SYS/x'))).toBe(1);
    expect(pipeline.publishFrom('client', alice, message('$app/x'))).toBe(1);
    expect(routed.map((r) => r[0])).toEqual(['$SYS/x', '$app/x']);
  });

  it("returns the plugin's denial and counts it; an allowed message is routed with its publisher", () => {
    const no = deny('no', { reasonCode: 0x97 });
    const { pipeline, routed, stats } = pipelineWith((_c, topic) => (topic === 'ro' ? no : allow));
    expect(pipeline.publishFrom('client', alice, message('ro'))).toBe(no);
    expect(pipeline.publishFrom('client', alice, message('rw'))).toBe(1);
    expect(routed).toEqual([['rw', 'x', 'alice-1', 'client']]);
    expect(stats.dropped['denied']).toBe(1);
  });

  it('keeps its own copy of the payload while a plugin decides asynchronously', async () => {
    const { pipeline, routed } = pipelineWith(() => Promise.resolve(allow));
    const m = message('t', 'before');
    const outcome = pipeline.publishFrom('client', alice, m);
    // The socket chunk the payload was a view on is reused by the next read.
    m.payload.write('after!');
    expect(await outcome).toBe(1);
    expect(routed).toEqual([['t', 'before', 'alice-1', 'client']]);
  });

  it('does not route a message whose connection closed while the plugin decided', async () => {
    const { pipeline, routed } = pipelineWith(() => Promise.resolve(allow));
    const sender: { state: Sender['state'] } = { state: 'connected' };
    const outcome = pipeline.publishFrom('client', alice, message('t'), sender);
    sender.state = 'closed';
    expect(await outcome).toBe(SENDER_CLOSED);
    expect(routed).toEqual([]);
  });

  it('denies, and logs, when the decision fails', async () => {
    const { pipeline, routed, stats, log } = pipelineWith(() => Promise.reject(new Error('ldap down')));
    const outcome = await pipeline.publishFrom('will', alice, message('t'));
    expect(outcome).toMatchObject({ verdict: 'deny', reason: 'authorization failed' });
    expect(routed).toEqual([]);
    expect(stats.dropped['denied']).toBe(1);
    expect(log.records.find((r) => r.level === 'warn')?.msg).toBe('publish authorization failed');
  });
});
