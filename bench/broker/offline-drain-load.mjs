// The load of the offline-drain benchmark (offline-drain.mjs): persistent sessions created and left offline,
// a QoS 1 fill of their queues, a CONNECT/CONNACK probe for "ready to serve", and the drain with a per-session
// check of what arrived. MQTT 3.1.1 throughout, raw sockets (wire.mjs).
import { PublishTemplate, WireClient } from './wire.mjs';
import { sleep } from './brokers.mjs';

const DISCONNECT = Buffer.from([0xe0, 0x00]);
export const sessionId = (i) => `od-${i}`;
export const sessionTopic = (i) => `od/${i}`;

/** Runs `task(i)` for i in [0, count) with at most `limit` running at once; rejects on the first failure. */
export async function withConcurrency(count, limit, task) {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/** DISCONNECT, then resolves once the broker closed the connection (the session is offline by then). */
export function disconnect(client) {
  if (client.closed) return Promise.resolve();
  return new Promise((resolve) => {
    client.socket.once('close', resolve);
    client.socket.end(DISCONNECT);
  });
}

/** Phase 1: `sessions` persistent sessions (clean session 0) each subscribe QoS 1 to their own topic, then leave. */
export async function createSessions(port, { sessions, connecting }) {
  await withConcurrency(sessions, connecting, async (i) => {
    const client = new WireClient(port, { clientId: sessionId(i), clean: false, onPublish() {} });
    try {
      await client.connect();
      await client.subscribe(sessionTopic(i), 1);
      await disconnect(client);
    } finally {
      client.destroy();
    }
  });
}

/**
 * Phase 2: `publishers` connections publish `perSession` QoS 1 messages to each session's topic. Publisher p
 * owns the topics i ≡ p (mod publishers), so each topic has one publisher and its order is the send order:
 * sequence 0 to every topic it owns, then 1, and so on. Each keeps at most `window` PUBLISHes unacknowledged
 * (topped up once per chunk the broker sends). Resolves with the PUBACKs counted.
 */
export async function fill(port, { sessions, perSession, publishers, window, stallMs }) {
  const count = Math.min(publishers, sessions);
  const runs = [];
  for (let p = 0; p < count; p++) {
    const topics = [];
    for (let i = p; i < sessions; i += count) topics.push(i);
    runs.push(publish(port, `od-pub-${p}`, topics, perSession, window, stallMs));
  }
  const acked = await Promise.all(runs);
  return acked.reduce((a, b) => a + b, 0);
}

function publish(port, clientId, topics, perSession, window, stallMs) {
  const templates = topics.map((i) => new PublishTemplate({ topic: sessionTopic(i), qos: 1, version: 4 }));
  const total = topics.length * perSession;
  let sent = 0;
  let acked = 0;
  let nextId = 1;
  let lastAckAt = performance.now();
  return new Promise((resolve, reject) => {
    const client = new WireClient(port, {
      clientId,
      onPublish() {},
      onPuback(n) {
        acked += n;
        lastAckAt = performance.now();
      },
      onChunkDone: () => pump(),
    });
    const watchdog = setInterval(() => {
      if (performance.now() - lastAckAt > stallMs)
        finish(new Error(`${clientId}: no PUBACK for ${stallMs / 1000} s (${acked}/${total} acknowledged)`));
    }, 1000);
    client.socket.on('close', () => {
      if (acked < total) finish(new Error(`${clientId}: connection closed after ${acked}/${total} PUBACKs`));
    });
    let settled = false;
    const finish = (error) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      if (error !== undefined) {
        client.destroy();
        reject(error);
      } else disconnect(client).then(() => resolve(acked), reject);
    };
    function pump() {
      if (acked >= total) return finish();
      const room = Math.min(window - (sent - acked), total - sent);
      if (room <= 0) return;
      let bytes = 0;
      for (let k = sent; k < sent + room; k++) bytes += templates[k % templates.length].length;
      const out = Buffer.allocUnsafe(bytes);
      let o = 0;
      for (let k = sent; k < sent + room; k++) {
        const t = k % templates.length;
        const tpl = templates[t];
        tpl.bytes.copy(out, o);
        out.writeUInt32BE(topics[t], o + tpl.payloadOffset);
        out.writeUInt32BE(Math.floor(k / templates.length), o + tpl.payloadOffset + 4);
        out[o + tpl.packetIdOffset] = nextId >>> 8;
        out[o + tpl.packetIdOffset + 1] = nextId & 0xff;
        nextId = (nextId % 0xffff) + 1;
        o += tpl.length;
      }
      sent += room;
      client.write(out);
    }
    client.connect().then(pump, (error) => finish(error));
  });
}

/**
 * Phase 3's "ready to serve": a fresh clean-session client's CONNECT, retried every `pollMs` until a CONNACK
 * comes or `deadline` (performance.now() ms) passes. Resolves with the time of the CONNACK.
 */
export async function probeConnack(port, { deadline, pollMs }) {
  for (let attempt = 0; ; attempt++) {
    const client = new WireClient(port, { clientId: `od-probe-${attempt}`, onPublish() {} });
    let timer;
    // undefined: refused, closed or timed out (not ready yet).
    const at = await Promise.race([
      client.connect().then(
        () => performance.now(),
        () => undefined,
      ),
      new Promise((resolve) => {
        timer = setTimeout(resolve, Math.max(0, deadline - performance.now()), undefined);
      }),
    ]);
    clearTimeout(timer);
    if (at !== undefined) await disconnect(client);
    client.destroy();
    if (at !== undefined) return at;
    if (performance.now() > deadline) throw new Error(`no CONNACK on port ${port} before the deadline`);
    await sleep(pollMs);
  }
}

/**
 * Phase 4: every session reconnects (clean session 0; at most `connecting` CONNECTs awaiting their CONNACK),
 * receives its queue, PUBACKs it (wire.mjs answers each chunk's QoS 1 PUBLISHes in one write), and leaves with
 * DISCONNECT once it has all `perSession` sequence numbers. Per session: a sequence number seen before is a
 * DUP resend when the broker set the DUP flag (a redelivery of an inflight message, allowed for QoS 1),
 * otherwise a duplicate; one below the highest seen so far is out of order; one never seen by the end is
 * lost. Ends when all sessions are complete or nothing arrived for `stallMs`.
 */
export async function drain(port, { sessions, perSession, connecting, stallMs, cpuSeconds }) {
  const started = performance.now();
  const tally = {
    received: 0,
    lost: 0,
    duplicated: 0,
    dupResends: 0,
    outOfOrder: 0,
    foreign: 0,
    withoutSession: 0,
    closedEarly: 0,
    complete: 0,
    allConnectedMs: Number.NaN,
    lastMessageMs: Number.NaN,
    stalled: false,
    /** The first incomplete sessions: [client id, sequence numbers received, highest, connection open]. */
    incomplete: [],
  };
  let lastProgress = performance.now();
  let ended = false;
  const clients = [];
  const states = [];
  const connectAll = withConcurrency(sessions, connecting, async (i) => {
    const state = { seen: new Uint8Array(perSession), unique: 0, highest: -1, done: false, client: undefined };
    states[i] = state;
    const client = new WireClient(port, {
      clientId: sessionId(i),
      clean: false,
      onPublish(index, seq, _sentAt, dup) {
        tally.received++;
        lastProgress = performance.now();
        if (index !== i || seq >= perSession) tally.foreign++;
        else if (state.seen[seq] === 1) {
          if (dup) tally.dupResends++;
          else tally.duplicated++;
        } else {
          state.seen[seq] = 1;
          state.unique++;
          if (seq < state.highest) tally.outOfOrder++;
          else state.highest = seq;
        }
      },
      // After the chunk's PUBACKs were written, so the DISCONNECT follows the last of them.
      onChunkDone() {
        if (state.done || state.unique < perSession) return;
        state.done = true;
        tally.complete++;
        tally.lastMessageMs = performance.now() - started;
        client.socket.end(DISCONNECT);
      },
    });
    clients.push(client);
    state.client = client;
    client.socket.on('close', () => {
      if (!state.done && !ended) tally.closedEarly++;
    });
    await client.connect();
    if (client.sessionPresent !== true) tally.withoutSession++;
  });
  await connectAll;
  tally.allConnectedMs = performance.now() - started;
  // The broker's CPU time when something last arrived (sampled every second): what it spent while stalled.
  let cpuAtProgress = cpuSeconds();
  let sampledAt = performance.now();
  while (tally.complete < sessions - tally.closedEarly) {
    const now = performance.now();
    if (now - lastProgress > stallMs) {
      tally.stalled = true;
      tally.stallCpuSeconds = cpuSeconds() - cpuAtProgress;
      // Is the broker still serving (a fresh client's CONNACK within 5 s)?
      tally.answersAfterStall = await probeConnack(port, { deadline: performance.now() + 5000, pollMs: 100 }).then(
        () => true,
        () => false,
      );
      break;
    }
    if (now - sampledAt >= 1000) {
      sampledAt = now;
      if (now - lastProgress < 1000) cpuAtProgress = cpuSeconds();
    }
    await sleep(20);
  }
  ended = true;
  for (const [i, state] of states.entries()) {
    tally.lost += perSession - state.unique;
    if (!state.done && tally.incomplete.length < 10)
      tally.incomplete.push([sessionId(i), state.unique, state.highest, !state.client.closed]);
  }
  for (const client of clients) client.destroy();
  return tally;
}
