/**
 * @midge/plugin-cluster-nats: several Midge brokers run as one cluster on NATS. Each broker (a node)
 * subscribes in NATS to the subjects of the filters its sessions hold and publishes every message routed
 * on it to the message's subject, so NATS carries a message only to the nodes that have a subscriber
 * for it.
 *
 * This file is the plugin's definition; the options are in config.ts, the topic ↔ subject mapping in
 * subject.ts, the wire format in wire.ts, the node's NATS subscriptions in interest.ts, what crosses in
 * bridge.ts and the NATS connection in nats-link.ts.
 */
import { definePlugin } from '@midge/mqtt-core';
import type { PluginHooks } from '@midge/mqtt-core';
import { createClusterBridge } from './bridge.js';
import { configSchema, serverList } from './config.js';
import type { ClusterNatsConfig } from './config.js';
import { checkCredentials, loadAuthenticator } from './credentials.js';
import { messageOf } from './error-message.js';
import { InterestTable } from './interest.js';
import { NatsLink } from './nats-link.js';
import { ClientRegistry } from './registry.js';
import { ClusterSessions } from './sessions.js';
import { ResendRequests } from './resend-requests.js';
import { ShareTable } from './share.js';
import { Presence } from './presence.js';
import { ClusterWills } from './wills.js';
import { watchForDeadNodes } from './dead-nodes.js';
import { ClusterRetained } from './retained.js';
import { Kvm } from '@nats-io/kv';
import { clusterSysTopics } from './sys-topics.js';
import { clusterMetrics } from './cluster-metrics.js';
import type { ClusterFigures } from './sys-topics.js';
import { messageSubjectRoot } from './subject.js';

export {
  configSchema,
  defaultNode,
  serverProblem,
  DEFAULT_CONNECT_TIMEOUT_SECONDS,
  DEFAULT_SERVER,
  DEFAULT_SUBJECT_PREFIX,
} from './config.js';
export type { ClusterNatsConfig } from './config.js';
export { MAX_SUBJECT_BYTES, filterSubjects, levelToken, messageSubjectRoot, topicSubject } from './subject.js';
export { WIRE_FORMAT_VERSION, decodeClusterMessage, encodeClusterMessage } from './wire.js';
export type { ClusterMessage } from './wire.js';

export const PLUGIN_NAME = '@midge/plugin-cluster-nats';

/** How often a node tells the others it is alive (`$SYS/broker/cluster/nodes` counts those heard lately). */
const PRESENCE_INTERVAL_MS = 2000;
/** Stored messages this long before an outage was noticed may not have arrived either. */
const CATCH_UP_MARGIN_MS = 2000;

export default definePlugin({
  name: PLUGIN_NAME,
  apiVersion: 1,
  configSchema,
  check: (ctx, config: ClusterNatsConfig) => checkCredentials(config, ctx.configDir),
  async setup(ctx, config: ClusterNatsConfig): Promise<PluginHooks> {
    const { logger } = ctx;
    const node = config.node;
    const authenticator = await loadAuthenticator(config, ctx.configDir);
    const linkTo = (name: string, quietOutages = false, onRegained?: (downSince: number) => void): Promise<NatsLink> =>
      NatsLink.open({
        ...(onRegained === undefined ? {} : { onRegained }),
        servers: serverList(config),
        name,
        authenticator,
        connectTimeoutMs: config.connect_timeout * 1000,
        logger,
        signal: ctx.signal,
        quietOutages,
      });
    // After an outage of this node's link, what it may have missed: the stored messages of the outage
    // (those persistent sessions match) that did not come live.
    let catchUp: ((downSince: number) => void) | undefined;
    // Made once the link is open (it answers through the link).
    const requests: { resend?: ResendRequests } = {};
    const link = await linkTo(`midge:${node}`, false, (downSince) => {
      // The others send again what they published meanwhile (clean sessions too), the stream covers longer.
      requests.resend?.ask(downSince - CATCH_UP_MARGIN_MS);
      catchUp?.(downSince);
    });
    // A second connection, for the shared subscriptions (it receives what `link` publishes: share.ts) and
    // the nodes' presence. `link` reports the outages of both.
    let shareLink: NatsLink;
    try {
      shareLink = await linkTo(`midge:${node}:share`, true);
    } catch (err) {
      await link.close();
      throw err;
    }
    const root = messageSubjectRoot(config.subject_prefix);
    const bridge = createClusterBridge({
      node,
      root,
      broker: ctx.broker,
      logger,
      send: (subject, frame, reliable) => link.publish(subject, frame, reliable),
    });
    requests.resend = new ResendRequests({
      node,
      prefix: config.subject_prefix,
      logger,
      send: (subject, data) => link.announce(subject, data),
      subscribe: (subject, onMessage) => link.subscribe(subject, onMessage),
      replay: (since) => link.replayRecent(since),
    });
    const interest = new InterestTable(root, (subject) => link.subscribe(subject, bridge.onClusterMessage), logger);
    const shares = new ShareTable(root, config.subject_prefix, (subject, queue, share) =>
      shareLink.subscribe(subject, (data) => bridge.onSharedMessage(share, data), queue),
    );
    // What the stores of the cluster's state in JetStream share.
    const jetStreamState = {
      node,
      prefix: config.subject_prefix,
      connection: link.connection,
      down: () => link.down,
      broker: ctx.broker,
      logger,
      replicas: config.replicas,
    };
    let registry: ClientRegistry;
    // The sessions' store is made before the registry (a claim rebuilds sessions from it) and opened after.
    let opened: ClientRegistry | undefined;
    const sessions = config.persistent_sessions
      ? new ClusterSessions({
          ...jetStreamState,
          maxAgeSeconds: config.session_messages_max_age,
          openWithinMs: config.connect_timeout * 1000,
          // Set before any client comes: no session is touched before the registry is open.
          holds: (clientId) => opened?.holds(clientId) === true,
          frameOf: bridge.frameOf,
        })
      : undefined;
    if (sessions !== undefined) {
      const store = sessions;
      catchUp = (downSince) => {
        void store.catchUp(downSince - CATCH_UP_MARGIN_MS, bridge.onMissedMessage).then((read) => {
          if (read > 0)
            logger.info(
              { read, routed: bridge.counts.caughtUp },
              'read back the stored messages of the outage: those that did not come live were routed here',
            );
        });
      };
    }
    // Within the broker's plugin_decision_timeout, which bounds the whole claim, after the handover's wait.
    const decisionMs = Number(ctx.broker.effectiveConfig().plugin_decision_timeout ?? 5000);
    const recoverWithinMs = Math.max(500, decisionMs - config.handover_timeout * 1000 - 500);
    try {
      registry = await ClientRegistry.open({
        node,
        prefix: config.subject_prefix,
        link,
        broker: ctx.broker,
        logger,
        replicas: config.replicas,
        handoverTimeoutMs: config.handover_timeout * 1000,
        openWithinMs: config.connect_timeout * 1000,
        ...(sessions === undefined ? {} : { sessions, recoverWithinMs }),
      });
      opened = registry;
    } catch (err) {
      sessions?.close();
      await Promise.all([link.close(), shareLink.close()]);
      throw new Error(
        `cannot open the client-id registry in NATS JetStream at ${link.where} (${messageOf(err)}): ` +
          'run nats-server with JetStream enabled (-js, or a jetstream block in its config) and give the ' +
          "cluster's NATS user access to $JS.API.> and $KV.>",
        { cause: err },
      );
    }
    if (authenticator === undefined)
      logger.warn(
        { nats: link.where },
        'no NATS credentials configured (user with password or password_file, or nkey_seed_file): any NATS ' +
          'client that can reach the server can inject messages into this cluster',
      );
    logger.info(
      { nats: link.where, server: link.server, node, subject_prefix: config.subject_prefix },
      'joined the cluster through NATS',
    );
    const presence = new Presence({
      node,
      prefix: config.subject_prefix,
      intervalMs: PRESENCE_INTERVAL_MS,
      // On the second connection, so the first carries nothing but what clients publish and subscribe to.
      send: (subject, data) => shareLink.announce(subject, data),
      subscribe: (subject, onMessage) => shareLink.subscribe(subject, onMessage),
    });
    let wills: ClusterWills;
    try {
      wills = await ClusterWills.open({
        node,
        prefix: config.subject_prefix,
        kvm: new Kvm(link.connection),
        replicas: config.replicas,
        openWithinMs: config.connect_timeout * 1000,
        broker: ctx.broker,
        logger,
        holderOf: (clientId) => registry.holderOf(clientId),
      });
    } catch (err) {
      presence.close();
      registry.close();
      sessions?.close();
      await Promise.all([link.close(), shareLink.close()]);
      throw new Error(`cannot open the wills bucket in NATS JetStream at ${link.where} (${messageOf(err)})`, {
        cause: err,
      });
    }
    // Opened while the retained messages are read (each within connect_timeout, together within the
    // broker's plugin_setup_timeout); never fails the start: without JetStream's answer in time it starts
    // not ready and keeps trying.
    const sessionsStarted = sessions?.start();
    let retained: ClusterRetained;
    try {
      // Before the broker takes clients: they must find the cluster's retained messages from the first SUBSCRIBE.
      retained = await ClusterRetained.open({
        ...jetStreamState,
        loadTimeoutMs: config.connect_timeout * 1000,
      });
    } catch (err) {
      wills.close();
      presence.close();
      registry.close();
      sessions?.close();
      await Promise.all([link.close(), shareLink.close()]);
      throw new Error(
        `cannot read the cluster's retained messages from NATS JetStream at ${link.where} (${messageOf(err)}): ` +
          "give the cluster's NATS user access to $JS.API.> and to the <subject_prefix>.retain.> subjects",
        { cause: err },
      );
    }
    await sessionsStarted;
    const deaths = watchForDeadNodes({
      presence,
      // A dead node's wills are published, and the records of its connected sessions start expiring.
      wills: {
        sweep: async (dead, diedAt) => {
          await Promise.all([wills.sweep(dead, diedAt), sessions?.sweep(dead, diedAt)]);
        },
        alive: (alive) => wills.alive(alive),
      },
      linkUp: () => !link.down && !shareLink.down,
      intervalMs: PRESENCE_INTERVAL_MS,
      known: new Set([
        ...(await wills.nodesWithWills().catch(() => new Set<string>())),
        ...(sessions?.nodesWithRecords() ?? []),
      ]),
      logger,
    });
    const figures = (): ClusterFigures => ({
      node,
      nodes: presence.alive(),
      connected: !link.down,
      subjects: interest.size,
      sharedGroups: shares.size,
      bridge: bridge.counts,
      registry: registry.counts,
      outbox: link.outboxCounts,
      sessions: sessions?.counts,
    });
    const publishFigures = (): void => {
      for (const [topic, payload] of clusterSysTopics(figures()))
        ctx.broker.publish({ topic, payload, qos: 0, retain: false }, { trusted: true }).catch((err: unknown) => {
          logger.warn({ err: messageOf(err), topic }, 'a cluster $SYS figure could not be published');
        });
    };
    const sysTimer =
      config.sys_interval > 0 ? setInterval(publishFigures, config.sys_interval * 1000).unref() : undefined;
    return {
      claimSession: (request) => registry.claim(request),
      // While NATS is unreachable the broker picks the members of shared subscriptions itself again.
      takesSharedSubscriptions: () => !link.down && !shareLink.down,
      events: {
        // From here on the subscription events report every change (BrokerApi.subscriptions).
        'broker:pre-start': async () => {
          const held = new Set<string>();
          for (const { clientId, filter } of ctx.broker.subscriptions()) {
            interest.add(filter);
            shares.add(filter);
            held.add(clientId);
          }
          await registry.registerHeld(held);
          // Their records, for the sessions this node keeps (not those another node took meanwhile).
          for (const clientId of held) sessions?.touch(clientId);
        },
        'subscription:added': ({ clientId, filter }) => {
          interest.add(filter);
          shares.add(filter);
          sessions?.touch(clientId);
        },
        'subscription:removed': ({ clientId, filter }) => {
          interest.remove(filter);
          shares.remove(filter);
          sessions?.touch(clientId);
        },
        'message:broadcast': bridge.onBroadcast,
        'retained:set': retained.onSet,
        'retained:cleared': retained.onCleared,
        'session:ended': ({ clientId }) => {
          registry.forget(clientId);
          wills.onSessionEnded(clientId);
          sessions?.forget(clientId);
        },
        'client:connected': ({ client, will }) => {
          wills.onConnected(client, will);
          sessions?.connected(client.clientId);
        },
        'client:disconnected': ({ client, graceful }) => {
          wills.onDisconnected(client, graceful);
          sessions?.disconnected(client.clientId);
        },
      },
      keepRestoredWill: ({ clientId }) => wills.keepRestored(clientId),
      // QoS 1/2 messages a persistent session in the cluster may need are in JetStream before their PUBACK.
      ...(sessions === undefined ? {} : { storeMessage: sessions.storeMessage.bind(sessions) }),
      // The SUBACK of a subscription that took a new NATS subject waits until the server has it (one round trip).
      // The SUBACK of a persistent session's subscription also waits for its record in the bucket, so the other
      // nodes store the messages it matches from (about) then on.
      awaitRoutes: () => {
        const confirmed = [
          link.confirmSubscriptions(),
          shareLink.confirmSubscriptions(),
          sessions?.confirmRecords(),
        ].filter((p): p is Promise<void> => p !== undefined);
        if (confirmed.length === 0) return undefined;
        return Promise.all(confirmed).then(() => undefined);
      },
      metrics: () => clusterMetrics(figures(), retained.counts),
      // Not ready while NATS is unreachable: a load balancer then sends new clients to a node that is in the
      // cluster (this one keeps its clients, and shares their changes when NATS is back).
      health: () => {
        if (link.down || shareLink.down)
          return {
            ready: false,
            reason: `NATS at ${link.where} is unreachable: messages do not reach the other nodes`,
          };
        if (!retained.loaded)
          return { ready: false, reason: "the cluster's retained messages are not read yet (JetStream busy)" };
        if (sessions !== undefined && !sessions.ready)
          return {
            ready: false,
            reason: "the persistent sessions' store in JetStream is not open yet (JetStream busy)",
          };
        return { ready: true, reason: `in the cluster as node ${node} (${presence.alive().length} nodes)` };
      },
      close: async () => {
        clearInterval(sysTimer);
        deaths.stop();
        requests.resend?.close();
        retained.close();
        sessions?.close();
        wills.close();
        presence.close();
        registry.close();
        await Promise.all([link.close(), shareLink.close()]);
        interest.clear();
        shares.clear();
        logger.info(
          {
            node,
            ...bridge.counts,
            registry: registry.counts,
            retained: retained.counts,
            ...(sessions === undefined ? {} : { sessions: sessions.counts }),
            droppedWhileDisconnected: link.dropped,
          },
          'left the cluster',
        );
      },
    };
  },
});
