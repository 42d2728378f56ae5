// The load generator's MQTT side: raw TCP sockets, packets pre-encoded once with Midge's codec, the
// per-message fields (publisher, sequence number, timestamp, packet id) patched into a copied template,
// batched writes, and a minimal streaming reader that only looks at what the benchmark needs.
// It is far cheaper per message than a broker: no packet objects, no promises, no per-message closures.
import net from 'node:net';
import { encodePacket, encodePublishOnce } from '@midge/mqtt-core/codec';

/** Payload layout: publisher index (u32), sequence number (u32), send time (f64, performance.now() ms), padding. */
export const PAYLOAD_BYTES = 64;

const PUBACK_TYPE = 0x40;

/** A PUBLISH template: `count` messages are made by copying it and patching the payload fields and packet id. */
export class PublishTemplate {
  constructor({ topic, qos, version, userProperty }) {
    const packet = {
      type: 'publish',
      topic,
      payload: Buffer.alloc(PAYLOAD_BYTES, 0x2e),
      qos,
      retain: false,
      dup: false,
      packetId: qos > 0 ? 1 : undefined,
    };
    if (version === 5 && userProperty !== undefined) packet.properties = { userProperties: [userProperty] };
    const enc = encodePublishOnce(packet, version);
    this.bytes = Buffer.from(enc.bytes);
    this.length = this.bytes.length;
    this.packetIdOffset = enc.packetIdOffset;
    this.payloadOffset = this.length - PAYLOAD_BYTES;
  }

  /** `count` consecutive messages in one buffer, sequence numbers from `seq`, packet ids from `nextId` (QoS > 0). */
  batch(count, pubIdx, seq, nextId, now) {
    const len = this.length;
    const out = Buffer.allocUnsafe(len * count);
    let o = 0;
    for (let i = 0; i < count; i++, o += len) {
      this.bytes.copy(out, o);
      const p = o + this.payloadOffset;
      out.writeUInt32BE(pubIdx, p);
      out.writeUInt32BE((seq + i) >>> 0, p + 4);
      out.writeDoubleBE(now, p + 8);
      if (this.packetIdOffset >= 0) {
        const id = ((nextId + i - 1) % 0xffff) + 1;
        out[o + this.packetIdOffset] = id >>> 8;
        out[o + this.packetIdOffset + 1] = id & 0xff;
      }
    }
    return out;
  }
}

/**
 * One raw MQTT connection. Callbacks:
 * - onPublish(pubIdx, seq, sentAt, dup) for every PUBLISH received (QoS 1 is PUBACKed, in one write per chunk);
 * - onPuback(count) once per chunk with the number of PUBACKs in it;
 * - onChunkDone() after each chunk.
 */
export class WireClient {
  constructor(port, options) {
    this.version = options.version ?? 4;
    this.clientId = options.clientId;
    this.keepalive = options.keepalive ?? 0;
    // false: a persistent session (MQTT 5: one that never expires), which the broker keeps, and stores if it persists.
    this.clean = options.clean ?? true;
    this.onPublish = options.onPublish;
    this.onPuback = options.onPuback;
    this.onChunkDone = options.onChunkDone;
    this.tail = undefined;
    this.connack = undefined;
    /** The CONNACK's session present flag, once it came. */
    this.sessionPresent = undefined;
    this.suback = undefined;
    this.closed = false;
    this.disconnectReason = undefined;
    this.received = 0;
    this.socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
      this.connack?.reject(new Error(`connection closed before CONNACK (${this.clientId})`));
      this.suback?.reject(new Error(`connection closed before SUBACK (${this.clientId})`));
      this.connack = this.suback = undefined;
    });
  }

  /** Sends CONNECT (pre-encoded bytes, or encoded here) and resolves on CONNACK 0. */
  connect(encodedConnect) {
    return new Promise((resolve, reject) => {
      this.connack = { resolve, reject };
      this.socket.write(encodedConnect ?? connectBytes(this.clientId, this.version, this.keepalive, this.clean));
    });
  }

  subscribe(filter, qos) {
    return new Promise((resolve, reject) => {
      this.suback = { resolve, reject };
      this.socket.write(
        encodePacket({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: filter, qos }] }, this.version),
      );
    });
  }

  write(bytes) {
    if (!this.closed) this.socket.write(bytes);
  }

  destroy() {
    this.socket.destroy();
  }

  onData(chunk) {
    let buf = chunk;
    if (this.tail !== undefined) {
      buf = Buffer.concat([this.tail, chunk]);
      this.tail = undefined;
    }
    const end = buf.length;
    let o = 0;
    let acks;
    let ackCount = 0;
    let pubacks = 0;
    while (o + 2 <= end) {
      // Fixed header: type byte, then the remaining length varint.
      let remaining = 0;
      let mul = 1;
      let p = o + 1;
      let complete = false;
      for (let i = 0; i < 4 && p < end; i++) {
        const b = buf[p++];
        remaining += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || p + remaining > end) break;
      const first = buf[o];
      const type = first >> 4;
      const frameEnd = p + remaining;
      if (type === 3) {
        const qos = (first >> 1) & 3;
        let q = p + 2 + buf.readUInt16BE(p);
        let packetId = 0;
        if (qos > 0) {
          packetId = buf.readUInt16BE(q);
          q += 2;
        }
        if (this.version === 5) {
          let plen = 0;
          let m = 1;
          for (;;) {
            const b = buf[q++];
            plen += (b & 0x7f) * m;
            m *= 128;
            if ((b & 0x80) === 0) break;
          }
          q += plen;
        }
        this.received++;
        if (frameEnd - q >= 16) {
          this.onPublish(buf.readUInt32BE(q), buf.readUInt32BE(q + 4), buf.readDoubleBE(q + 8), (first & 8) !== 0);
        }
        if (qos === 1) {
          acks ??= Buffer.allocUnsafe(4 * 256);
          if (ackCount * 4 + 4 > acks.length) {
            const bigger = Buffer.allocUnsafe(acks.length * 2);
            acks.copy(bigger, 0, 0, ackCount * 4);
            acks = bigger;
          }
          const a = ackCount * 4;
          acks[a] = PUBACK_TYPE;
          acks[a + 1] = 2;
          acks[a + 2] = packetId >>> 8;
          acks[a + 3] = packetId & 0xff;
          ackCount++;
        }
      } else if (type === 4) {
        pubacks++;
      } else if (type === 2) {
        const code = buf[p + 1];
        this.sessionPresent = (buf[p] & 1) === 1;
        const pending = this.connack;
        this.connack = undefined;
        if (code === 0) pending?.resolve();
        else pending?.reject(new Error(`CONNACK refused: code ${code}`));
      } else if (type === 9) {
        const pending = this.suback;
        this.suback = undefined;
        const code = buf[frameEnd - 1];
        if (code >= 0x80) pending?.reject(new Error(`SUBACK refused: code ${code}`));
        else pending?.resolve();
      } else if (type === 14) {
        this.disconnectReason = remaining > 0 ? buf[p] : 0;
      }
      o = frameEnd;
    }
    if (o < end) this.tail = Buffer.from(buf.subarray(o));
    if (ackCount > 0) this.socket.write(acks.subarray(0, ackCount * 4));
    if (pubacks > 0) this.onPuback?.(pubacks);
    this.onChunkDone?.();
  }
}

export function connectBytes(clientId, version, keepalive = 0, clean = true) {
  const packet = { type: 'connect', protocolName: 'MQTT', protocolVersion: version, clean, keepalive, clientId };
  if (!clean && version === 5) packet.properties = { sessionExpiryInterval: 0xffffffff };
  return encodePacket(packet, version);
}
