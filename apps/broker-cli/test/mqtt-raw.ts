/** Just enough MQTT 3.1.1 by hand to test the broker from outside: CONNECT/CONNACK and PINGREQ/PINGRESP. */
import { connect, type Socket } from 'node:net';

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

export function connectPacket(clientId: string, username?: string, password?: string): Buffer {
  let flags = 0x02; // clean session
  if (username !== undefined) flags |= 0x80;
  if (password !== undefined) flags |= 0x40;
  const body = Buffer.concat([
    str('MQTT'),
    Buffer.from([4, flags, 0, 60]),
    str(clientId),
    ...(username !== undefined ? [str(username)] : []),
    ...(password !== undefined ? [str(password)] : []),
  ]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

export interface RawClient {
  readonly socket: Socket;
  /** The CONNACK return code (0 = accepted, 4 = bad username or password, 5 = not authorized). */
  readonly returnCode: number;
  /** True when the broker answers a PINGREQ: the connection is alive. */
  ping(): Promise<boolean>;
  close(): void;
}

/** Reads exactly `n` bytes, or rejects when the socket ends first or after `timeoutMs`. */
function readBytes(socket: Socket, n: number, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve(buf.subarray(0, n));
    };
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= n) done();
    };
    const onClose = (): void => done(new Error(`connection closed after ${buf.length} of ${n} bytes`));
    const timer = setTimeout(() => done(new Error(`no ${n} bytes within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

export async function mqttConnect(
  port: number,
  clientId: string,
  username?: string,
  password?: string,
): Promise<RawClient> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  const connack = readBytes(socket, 4);
  socket.write(connectPacket(clientId, username, password));
  const ack = await connack;
  if (ack[0] !== 0x20) throw new Error(`expected CONNACK, got ${ack.toString('hex')}`);
  return {
    socket,
    returnCode: ack[3] as number,
    async ping() {
      const reply = readBytes(socket, 2, 3000);
      socket.write(Buffer.from([0xc0, 0x00]));
      try {
        return (await reply).equals(Buffer.from([0xd0, 0x00]));
      } catch {
        return false;
      }
    },
    close() {
      socket.destroy();
    },
  };
}

/** Connects, returns the CONNACK code and closes. */
export async function connackCode(
  port: number,
  clientId: string,
  username?: string,
  password?: string,
): Promise<number> {
  const c = await mqttConnect(port, clientId, username, password);
  c.close();
  return c.returnCode;
}
