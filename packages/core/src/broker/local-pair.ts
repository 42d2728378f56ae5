/**
 * Two connected in-memory Duplex ends: what one end writes, the other reads. `BrokerApi.connectLocal`
 * serves one end as a client connection and hands the other to an in-process MQTT client, so a plugin
 * (a bridge) can hold a real session in its own broker without a listener, a port or a socket.
 * (Node 22 has `stream.duplexPair`; Node 20, which Midge supports, does not.)
 */
import { Duplex } from 'node:stream';

class End extends Duplex {
  peer: End | undefined;

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    // Each MQTT packet is encoded into its own buffer: handing it over as is copies nothing. Both sides
    // of an MQTT connection bound what they send (inflight windows, queues), so the reader's buffer is
    // not left to grow without bound by ignoring push()'s backpressure signal.
    this.peer?.push(chunk);
    done();
  }

  override _read(): void {
    // Data arrives by the peer's push(): nothing to pull.
  }

  override _final(done: (err?: Error | null) => void): void {
    this.peer?.push(null);
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    // A socket's close is seen at both ends: so is this pair's.
    const peer = this.peer;
    this.peer = undefined;
    if (peer !== undefined && !peer.destroyed) peer.destroy();
    done(err);
  }
}

/** Two ends joined to each other. */
export function localPair(): [Duplex, Duplex] {
  const a = new End();
  const b = new End();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
