// The idle scenario's connect phase: opens thousands of MQTT connections as cheaply as this process can.
//
// Why libuv's TCP handles and not `net.connect`: on loopback the connecting side's kernel context runs
// the whole TCP handshake (both ends' SYN processing), about 35 µs per connect here, and `net.Socket`
// added some 45 µs of JavaScript (stream state, nextTick hops, event emitters) on top. That made the
// generator (~90 µs per connect) dearer than the broker it measured (Midge ~70 µs), so the connect rate
// was the generator's. The raw handle leaves about 10 µs of JavaScript per connect (bench/README.md).
// `process.binding('tcp_wrap')` is Node's internal binding, which `net` itself is built on; it is on
// Node's allowlist for `process.binding` and unchanged from Node 12 to 24.
import process from 'node:process';
import { connectBytes } from './wire.mjs';

const { TCP, TCPConnectWrap, constants } = process.binding('tcp_wrap');
const { WriteWrap, kReadBytesOrError, kArrayBufferOffset, streamBaseState } = process.binding('stream_wrap');

/**
 * Keeps `concurrency` connects in flight, each a raw TCP handle that writes a CONNECT encoded ahead of
 * time and waits for the CONNACK, then stays open (reading, so a close by the broker is counted).
 */
export class IdleOpener {
  constructor(port, tag, concurrency) {
    this.port = port;
    this.tag = tag;
    this.concurrency = concurrency;
    this.handles = [];
    this.next = 0;
    this.inFlight = 0;
    this.open = 0;
    this.failed = 0;
    this.limit = 0;
    this.resolve = undefined;
    this.encoded = [];
  }

  /** Opens connections until `limit` were tried; resolves with the milliseconds it took. */
  openUpTo(limit) {
    // CONNECTs encoded before the clock starts: the generator's cost per connect stays small.
    for (let i = this.encoded.length; i < limit; i++) this.encoded.push(connectBytes(`${this.tag}-${i}`, 4, 0));
    this.limit = limit;
    const t0 = performance.now();
    return new Promise((resolve) => {
      this.resolve = () => resolve(performance.now() - t0);
      this.fill();
    });
  }

  fill() {
    while (this.inFlight < this.concurrency && this.next < this.limit) {
      const handle = new TCP(constants.SOCKET);
      handle.opener = this;
      handle.index = this.next++;
      handle.state = CONNECTING;
      this.inFlight++;
      const req = new TCPConnectWrap();
      req.oncomplete = afterConnect;
      req.address = '127.0.0.1';
      req.port = this.port;
      this.handles.push(handle);
      const err = handle.connect(req, '127.0.0.1', this.port);
      if (err !== 0) this.settled(handle, false);
    }
    if (this.inFlight === 0 && this.next >= this.limit && this.resolve !== undefined) {
      const r = this.resolve;
      this.resolve = undefined;
      r();
    }
  }

  settled(handle, ok) {
    this.inFlight--;
    if (ok) {
      handle.state = OPEN;
      this.open++;
    } else {
      handle.state = CLOSED;
      this.failed++;
      handle.close();
    }
    this.fill();
  }

  destroyAll() {
    for (const handle of this.handles) {
      if (handle.state !== CLOSED) {
        handle.state = CLOSED;
        handle.close();
      }
    }
    this.handles = [];
  }
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

// Callbacks shared by every handle (`this` is the handle, or the request for afterConnect): no closures
// or promises per connection.
function afterConnect(status, handle) {
  const opener = handle.opener;
  if (status < 0) {
    opener.settled(handle, false);
    return;
  }
  const bytes = opener.encoded[handle.index];
  opener.encoded[handle.index] = undefined;
  const write = new WriteWrap();
  write.handle = handle;
  write.oncomplete = ignore;
  write.async = false;
  // Holds the bytes until an asynchronous write completes, as net does.
  write.buffer = bytes;
  handle.onread = onRead;
  if (handle.writeBuffer(write, bytes) !== 0 || handle.readStart() !== 0) opener.settled(handle, false);
}

function onRead(arrayBuffer) {
  const nread = streamBaseState[kReadBytesOrError];
  if (this.state === CLOSED) return;
  if (this.state === OPEN) {
    // Anything after the CONNACK is ignored; end of stream or an error means the broker dropped us.
    if (nread < 0) {
      this.state = CLOSED;
      this.opener.open--;
      this.close();
    }
    return;
  }
  // CONNACK: 0x20, remaining length, flags, return code (v3/v4); anything else is a failure.
  let ok = false;
  if (nread >= 4) {
    const bytes = new Uint8Array(arrayBuffer, streamBaseState[kArrayBufferOffset], nread);
    ok = bytes[0] === 0x20 && bytes[3] === 0;
  }
  this.opener.settled(this, ok);
}

function ignore() {}
