/**
 * Messages from the broker to the application: acknowledgments by QoS (PUBACK; PUBREC/PUBREL/PUBCOMP with
 * exactly-once delivery), the 'message' callback and the async iterators, whose full buffers hold acks back.
 */
import type { Packet, PublishPacket } from '../codec/packets.js';
import { MessageStream } from './message-stream.js';
import type { ClientMessage } from './types.js';

export class Inbound {
  /** QoS 2 ids whose PUBREL has not come yet → whether PUBREC went out. */
  readonly #qos2 = new Map<number, boolean>();
  /** Bumped when the broker starts a fresh session: acks held for the old one must not go out. */
  #epoch = 0;
  readonly #streams = new Set<MessageStream>();
  #droppedGone = 0;
  readonly #send: (packet: Packet) => void;
  readonly #emit: (message: ClientMessage) => void;
  readonly #v5: boolean;
  readonly #manualAck: boolean;

  constructor(send: (packet: Packet) => void, emit: (message: ClientMessage) => void, v5: boolean, manualAck = false) {
    this.#send = send;
    this.#emit = emit;
    this.#v5 = v5;
    this.#manualAck = manualAck;
  }

  /** QoS 0 messages dropped because an iterator's buffer was full. */
  get dropped(): number {
    let n = this.#droppedGone;
    for (const s of this.#streams) n += s.dropped;
    return n;
  }

  /** The broker kept no session: inbound QoS 2 state and held acks of the old one are void. */
  freshSession(): void {
    this.#qos2.clear();
    this.#epoch++;
  }

  stream(bufferSize: number, ended: boolean): MessageStream {
    const stream = new MessageStream(bufferSize, (s) => {
      if (this.#streams.delete(s)) this.#droppedGone += s.dropped;
    });
    if (ended) stream.end();
    else this.#streams.add(stream);
    return stream;
  }

  /** The client is finished: iterators yield what they hold, then end. */
  end(): void {
    for (const s of this.#streams) s.end();
  }

  onPubrel(id: number): void {
    this.#qos2.delete(id);
    this.#send({ type: 'pubcomp', packetId: id, ...(this.#v5 ? { reasonCode: 0 } : {}) });
  }

  onPublish(p: PublishPacket): void {
    // The payload is a view on the socket chunk; the application may keep the message forever.
    const message: ClientMessage = {
      topic: p.topic,
      payload: Buffer.from(p.payload),
      qos: p.qos,
      retain: p.retain,
      dup: p.dup,
      ...(p.packetId !== undefined ? { packetId: p.packetId } : {}),
      ...(p.properties ? { properties: p.properties } : {}),
    };
    const id = p.packetId as number;
    const rc = this.#v5 ? { reasonCode: 0 } : {};
    const epoch = this.#epoch;
    if (p.qos === 0) {
      this.#deliver(message, undefined);
    } else if (p.qos === 1) {
      this.#deliver(message, () => {
        if (epoch === this.#epoch) this.#send({ type: 'puback', packetId: id, ...rc });
      });
    } else {
      const recSent = this.#qos2.get(id);
      if (recSent !== undefined) {
        // A resend of a message the app already has: never deliver it twice, only answer once it was acked.
        if (recSent) this.#send({ type: 'pubrec', packetId: id, ...rc });
        return;
      }
      this.#qos2.set(id, false);
      this.#deliver(message, () => {
        if (epoch !== this.#epoch || !this.#qos2.has(id)) return;
        this.#qos2.set(id, true);
        this.#send({ type: 'pubrec', packetId: id, ...rc });
      });
    }
  }

  /**
   * Callbacks first, then every iterator; `ack` goes out once no iterator holds it back and, with
   * manualAck, once the application called the message's `ack()` too.
   */
  #deliver(received: ClientMessage, ack: (() => void) | undefined): void {
    if (ack === undefined) {
      this.#emit(received);
      for (const s of this.#streams) s.push(received, undefined);
      return;
    }
    let holds = 1;
    const release = () => {
      if (--holds === 0) ack();
    };
    let message = received;
    if (this.#manualAck) {
      holds++;
      let acked = false;
      message = {
        ...received,
        ack: () => {
          if (acked) return;
          acked = true;
          release();
        },
      };
    }
    this.#emit(message);
    for (const s of this.#streams) {
      if (s.push(message, release) === 'held') holds++;
    }
    release();
  }
}
