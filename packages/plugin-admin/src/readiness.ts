/**
 * Readiness as /readyz reports it: ready from `broker:post-start` until `broker:pre-shutdown`, and while
 * the broker's own checks pass (its store takes writes, every plugin with a health hook — a cluster
 * plugin that joined its cluster — says ready).
 */
import type { BrokerHealth, HealthCheck } from '@midge/mqtt-core';

export interface ReadinessReport {
  readonly ready: boolean;
  /** The first reason it is not ready, or that it is. */
  readonly reason: string;
  /** The broker's checks (listeners, store, plugins), when it runs. */
  readonly checks?: readonly HealthCheck[];
}

export class Readiness {
  #state: 'starting' | 'running' | 'stopping' = 'starting';

  /** The broker listens (`broker:post-start`). */
  started(): void {
    if (this.#state === 'starting') this.#state = 'running';
  }

  /** The broker shuts down (`broker:pre-shutdown`): a load balancer should send no new clients. */
  stopping(): void {
    this.#state = 'stopping';
  }

  /** `health`: the broker's checks now (`BrokerApi.health()`), read only while it runs. */
  report(health: () => BrokerHealth): ReadinessReport {
    switch (this.#state) {
      case 'starting':
        return { ready: false, reason: 'the broker is starting: its listeners are not open yet' };
      case 'stopping':
        return { ready: false, reason: 'the broker is shutting down' };
      case 'running': {
        const { ready, checks } = health();
        const failed = checks.find((c) => !c.ok);
        if (ready && failed === undefined) return { ready: true, reason: 'the broker accepts connections', checks };
        return {
          ready: false,
          reason: failed === undefined ? 'not ready' : `${failed.name}: ${failed.reason}`,
          checks,
        };
      }
    }
  }
}
