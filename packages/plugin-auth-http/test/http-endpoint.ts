/**
 * A real HTTP endpoint on 127.0.0.1 for the tests: records every request (method, URL, headers, body)
 * and the connections it accepted, and answers with a handler the test sets. Closed after each test.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach } from 'vitest';

export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export type Handler = (req: Recorded, res: ServerResponse) => void | Promise<void>;

export interface TestEndpoint {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly requests: Recorded[];
  /** TCP connections accepted so far (keep-alive reuses them). */
  connections: number;
  handler: Handler;
}

/** Answers `{ "result": result }` (with `reason` when given). */
export function json(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const open: { server: Server; sockets: Set<Socket> }[] = [];
afterEach(async () => {
  for (const { server, sockets } of open.splice(0)) {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

export async function startEndpoint(handler: Handler): Promise<TestEndpoint> {
  const sockets = new Set<Socket>();
  const endpoint: TestEndpoint = { origin: '', requests: [], connections: 0, handler };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: Recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      endpoint.requests.push(recorded);
      void endpoint.handler(recorded, res);
    });
  });
  server.on('connection', (s: Socket) => {
    endpoint.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  open.push({ server, sockets });
  const { port } = server.address() as AddressInfo;
  return Object.assign(endpoint, { origin: `http://127.0.0.1:${port}` });
}

/** A port nothing listens on (bound, then closed): requests to it are refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
