import { definePlugin, type BrokerApi, type BrokerStats } from '@midge/mqtt-core';
import * as v from 'valibot';

export const configSchema = v.strictObject({
  /** Seconds between updates; 0 disables the periodic topics (the retained version is still published). */
  sys_interval: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(86_400)), 20),
});
export type SysConfig = v.InferOutput<typeof configSchema>;

/** One value per topic, as strings on the wire. Integers stay integers; MB and % get two decimals. */
export type SysValues = Record<string, string>;

const MB = 1024 * 1024;

/** Tracks the peaks and the CPU time between samples, so each sample reports usage over its own interval. */
export class SysSampler {
  private heapMaximum = 0;
  private cpuMaximum = 0;
  private lastCpu = process.cpuUsage();
  private lastWall = process.hrtime.bigint();

  constructor(private readonly broker: Pick<BrokerApi, 'stats' | 'version'>) {}

  sample(now = Date.now()): SysValues {
    const s: BrokerStats = this.broker.stats();
    const heap = process.memoryUsage().heapUsed / MB;
    this.heapMaximum = Math.max(this.heapMaximum, heap);
    const cpu = this.cpuPercent();
    this.cpuMaximum = Math.max(this.cpuMaximum, cpu);
    const uptime = Math.max(0, Math.floor((now - s.startedAt) / 1000));
    return {
      '$SYS/broker/version': `Midge ${this.broker.version}`,
      '$SYS/broker/load/bytes/received': String(s.bytesReceived),
      '$SYS/broker/load/bytes/sent': String(s.bytesSent),
      '$SYS/broker/messages/received': String(s.messagesReceived),
      '$SYS/broker/messages/sent': String(s.messagesSent),
      '$SYS/broker/time': String(Math.floor(now / 1000)),
      '$SYS/broker/uptime': String(uptime),
      '$SYS/broker/uptime/formatted': new Date(s.startedAt).toISOString(),
      '$SYS/broker/clients/connected': String(s.clientsConnected),
      '$SYS/broker/clients/disconnected': String(s.clientsDisconnected),
      '$SYS/broker/clients/maximum': String(s.clientsMaximum),
      '$SYS/broker/clients/total': String(s.clientsTotal),
      '$SYS/broker/messages/inflight': String(s.inflightIn + s.inflightOut),
      '$SYS/broker/messages/inflight/in': String(s.inflightIn),
      '$SYS/broker/messages/inflight/out': String(s.inflightOut),
      '$SYS/broker/messages/inflight/stored': String(s.messagesStored),
      '$SYS/broker/messages/publish/received': String(s.publishReceived),
      '$SYS/broker/messages/publish/sent': String(s.publishSent),
      '$SYS/broker/messages/retained/count': String(s.retainedCount),
      '$SYS/broker/messages/subscriptions/count': String(s.subscriptionCount),
      '$SYS/broker/heap/size': heap.toFixed(2),
      '$SYS/broker/heap/maximum': this.heapMaximum.toFixed(2),
      '$SYS/broker/cpu/percent': cpu.toFixed(2),
      '$SYS/broker/cpu/maximum': this.cpuMaximum.toFixed(2),
    };
  }

  private cpuPercent(): number {
    const cpu = process.cpuUsage(this.lastCpu);
    const wall = process.hrtime.bigint();
    const elapsedMicros = Number(wall - this.lastWall) / 1000;
    this.lastCpu = process.cpuUsage();
    this.lastWall = wall;
    if (elapsedMicros <= 0) return 0;
    return ((cpu.user + cpu.system) / elapsedMicros) * 100;
  }
}

/**
 * Publishes broker statistics under `$SYS/broker/...` every `sys_interval` seconds (aMQTT's
 * BrokerSysPlugin). `$SYS/broker/version` is published retained once at start.
 */
export const sysPlugin = definePlugin({
  name: '@midge/plugin-sys',
  apiVersion: 1,
  configSchema,
  setup(ctx, config: SysConfig) {
    const sampler = new SysSampler(ctx.broker);
    let timer: NodeJS.Timeout | undefined;

    const publishAll = async () => {
      const values = sampler.sample();
      for (const [topic, payload] of Object.entries(values)) {
        if (topic === '$SYS/broker/version') continue;
        // Trusted: the broker's own figures; only a trusted publish from the broker may use $SYS.
        await ctx.broker.publish({ topic, payload, qos: 0, retain: false }, { trusted: true });
      }
    };

    return {
      events: {
        'broker:post-start': async () => {
          await ctx.broker.publish(
            { topic: '$SYS/broker/version', payload: `Midge ${ctx.broker.version}`, qos: 0, retain: true },
            { trusted: true },
          );
          if (config.sys_interval > 0) {
            timer = setInterval(() => {
              publishAll().catch((err: unknown) => ctx.logger.error({ err }, 'publishing $SYS topics failed'));
            }, config.sys_interval * 1000);
            // $SYS updates must never keep a process alive on their own.
            timer.unref();
          }
        },
      },
      close() {
        if (timer) clearInterval(timer);
      },
    };
  },
});

export default sysPlugin;
