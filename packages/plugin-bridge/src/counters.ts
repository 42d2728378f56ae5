/** What one bridge counts, for the plugin's `metrics` hook (`midge_bridge_*` on /metrics). */
import type { PluginMetric } from '@midge/mqtt-core';

export type DropReason =
  /** A QoS 0 message for the remote while it is down: QoS 0 is never queued. */
  | 'remote-down'
  /** A message from the remote this broker refused (authorization, an invalid or `$` topic). */
  | 'refused';

export class BridgeCounters {
  /** Messages the remote acknowledged (QoS 0: written), by QoS. */
  readonly sent: [number, number, number] = [0, 0, 0];
  /** Messages from the remote published in this broker, by QoS. */
  readonly received: [number, number, number] = [0, 0, 0];
  readonly dropped: Record<DropReason, number> = { 'remote-down': 0, refused: 0 };

  metrics(bridge: string, figures: { connected: boolean; pending: number; losses: number }): PluginMetric[] {
    const out: PluginMetric[] = [
      {
        name: 'bridge_connected',
        help: 'Whether the bridge is connected to its remote broker (1) or not (0).',
        type: 'gauge',
        value: figures.connected ? 1 : 0,
        labels: { bridge },
      },
      {
        name: 'bridge_pending_messages',
        help: 'QoS 1/2 messages sent to the remote and not yet acknowledged by it (the rest waits in the local session).',
        type: 'gauge',
        value: figures.pending,
        labels: { bridge },
      },
      {
        name: 'bridge_connection_losses_total',
        help: 'Connections to the remote broker lost.',
        type: 'counter',
        value: figures.losses,
        labels: { bridge },
      },
    ];
    for (const qos of [0, 1, 2] as const) {
      out.push(
        {
          name: 'bridge_messages_total',
          help: 'Messages carried by the bridge: out (acknowledged by the remote), in (published here).',
          type: 'counter',
          value: this.sent[qos],
          labels: { bridge, direction: 'out', qos: String(qos) },
        },
        {
          name: 'bridge_messages_total',
          help: 'Messages carried by the bridge: out (acknowledged by the remote), in (published here).',
          type: 'counter',
          value: this.received[qos],
          labels: { bridge, direction: 'in', qos: String(qos) },
        },
      );
    }
    for (const reason of Object.keys(this.dropped) as DropReason[]) {
      out.push({
        name: 'bridge_dropped_messages_total',
        help: 'Messages the bridge dropped, by reason (remote-down: QoS 0 while the remote is down; refused: this broker refused one from the remote).',
        type: 'counter',
        value: this.dropped[reason],
        labels: { bridge, reason },
      });
    }
    return out;
  }
}
