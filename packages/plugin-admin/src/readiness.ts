/** Readiness as /readyz reports it: ready from `broker:post-start` until `broker:pre-shutdown`. */

export interface ReadinessReport {
  readonly ready: boolean;
  readonly reason: string;
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

  report(): ReadinessReport {
    switch (this.#state) {
      case 'starting':
        return { ready: false, reason: 'the broker is starting: its listeners are not open yet' };
      case 'running':
        return { ready: true, reason: 'the broker accepts connections' };
      case 'stopping':
        return { ready: false, reason: 'the broker is shutting down' };
    }
  }
}
