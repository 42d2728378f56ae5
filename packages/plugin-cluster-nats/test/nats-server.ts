/**
 * Real nats-server processes on 127.0.0.1 for the tests: one server, or a cluster of three with JetStream,
 * each on free ports with authorization, its store in a temporary folder. `kill` is a crash (SIGKILL);
 * `restart` brings a server back on the same ports and store. Every server a test starts must be stopped
 * with `stop` (servers and folders gone).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** nats-server from PATH or where the Debian package puts it. */
function findNatsServer(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (dir !== '' && existsSync(join(dir, 'nats-server'))) return join(dir, 'nats-server');
  }
  return undefined;
}

export const NATS_SERVER = findNatsServer();
export const hasNatsServer = NATS_SERVER !== undefined;

/** A TCP port that was free a moment ago (the OS picked it; nothing listens on it now). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A NATS user of the test servers. `denyPublish`: subjects it may not publish to. */
export interface NatsUser {
  readonly user: string;
  readonly password: string;
  readonly denyPublish?: readonly string[];
}

export interface NatsAuth {
  readonly users: readonly NatsUser[];
  /** Public keys (`U...`) of nkey users. */
  readonly nkeys?: readonly string[];
}

interface ServerPorts {
  readonly client: number;
  readonly monitor: number;
  readonly route: number;
}

const READY_TIMEOUT_MS = 10_000;

/** The config file of one server; `routes`: the route ports of the other members of its cluster. */
function serverConfig(
  name: string,
  dir: string,
  ports: ServerPorts,
  auth: NatsAuth,
  routes: number[] | undefined,
): string {
  const users = [
    ...auth.users.map((u) => {
      const deny =
        u.denyPublish === undefined
          ? ''
          : `, permissions: { publish: { deny: [${u.denyPublish.map((s) => JSON.stringify(s)).join(', ')}] } }`;
      return `    { user: ${JSON.stringify(u.user)}, password: ${JSON.stringify(u.password)}${deny} }`;
    }),
    ...(auth.nkeys ?? []).map((key) => `    { nkey: ${key} }`),
  ];
  const lines = [
    `server_name: ${name}`,
    `listen: 127.0.0.1:${ports.client}`,
    `http: 127.0.0.1:${ports.monitor}`,
    `jetstream { store_dir: ${JSON.stringify(join(dir, 'jetstream'))}, max_memory_store: 64MB, max_file_store: 256MB }`,
    `authorization {\n  users: [\n${users.join('\n')}\n  ]\n}`,
  ];
  if (routes !== undefined)
    lines.push(
      `cluster {\n  name: midge-test\n  listen: 127.0.0.1:${ports.route}\n` +
        `  routes: [${routes.map((p) => `nats-route://127.0.0.1:${p}`).join(', ')}]\n}`,
    );
  return `${lines.join('\n')}\n`;
}

export class NatsServer {
  readonly name: string;
  readonly ports: ServerPorts;
  readonly #configFile: string;
  #process: ChildProcess | undefined;
  #output = '';

  private constructor(name: string, ports: ServerPorts, configFile: string) {
    this.name = name;
    this.ports = ports;
    this.#configFile = configFile;
  }

  /** `nats://127.0.0.1:<port>`, no credentials. */
  get url(): string {
    return `nats://127.0.0.1:${this.ports.client}`;
  }

  get running(): boolean {
    return this.#process !== undefined;
  }

  /** What the server printed since its last start (for failure messages). */
  get output(): string {
    return this.#output;
  }

  /** Writes the config of a server in `dir` (not started). */
  static async create(
    name: string,
    dir: string,
    ports: ServerPorts,
    auth: NatsAuth,
    routes?: number[],
  ): Promise<NatsServer> {
    const configFile = join(dir, `${name}.conf`);
    await writeFile(configFile, serverConfig(name, join(dir, name), ports, auth, routes));
    return new NatsServer(name, ports, configFile);
  }

  /** Starts the process; resolves once it is listening (its monitoring endpoint answers). */
  async restart(): Promise<void> {
    if (this.#process !== undefined) throw new Error(`nats-server ${this.name} is already running`);
    if (NATS_SERVER === undefined)
      throw new Error('nats-server is not installed: apt-get install nats-server (the cluster tests need it)');
    this.#output = '';
    const child = spawn(NATS_SERVER, ['-c', this.#configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#process = child;
    child.stdout.on('data', (d: Buffer) => (this.#output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (this.#output += d.toString()));
    let exited = false;
    child.once('exit', () => {
      exited = true;
      if (this.#process === child) this.#process = undefined;
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exited) throw new Error(`nats-server ${this.name} exited while starting:\n${this.#output}`);
      if ((await this.#get('varz')) !== undefined) return;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`nats-server ${this.name} did not answer within ${READY_TIMEOUT_MS} ms:\n${this.#output}`);
      }
      await pause(25);
    }
  }

  /** Kills the server at once (SIGKILL, as a crash would) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (child === undefined) return;
    this.#process = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** A monitoring endpoint's JSON (`connz?subs=1`, `routez`, `healthz`...); throws when the server does not answer. */
  async monitor<T = Record<string, unknown>>(path: string): Promise<T> {
    const body = await this.#get(path);
    if (body === undefined) throw new Error(`nats-server ${this.name}: GET /${path} failed`);
    return body as T;
  }

  /** Polls a monitoring endpoint until `ok` holds for its answer, or throws after `ms`. */
  async until(path: string, ok: (body: Record<string, unknown>) => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    let last: unknown;
    for (;;) {
      last = await this.#get(path);
      if (last !== undefined && ok(last as Record<string, unknown>)) return;
      if (Date.now() > deadline)
        throw new Error(`nats-server ${this.name}: /${path} not as expected after ${ms} ms: ${JSON.stringify(last)}`);
      await pause(25);
    }
  }

  /**
   * The server's view of the client connection named `name` (`midge:<node>`): its subscriptions and the
   * messages it was sent (`out_msgs`) and sent itself (`in_msgs`). Undefined while it is not connected.
   */
  async connection(name: string): Promise<ConnectionInfo | undefined> {
    const connz = await this.monitor<{ connections: ConnectionInfo[] }>('connz?subs=1&limit=1024');
    return connz.connections.find((c) => c.name === name);
  }

  async #get(path: string): Promise<unknown> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.ports.monitor}/${path}`, {
        signal: AbortSignal.timeout(1000),
      });
      if (!response.ok) return undefined;
      return await response.json();
    } catch {
      return undefined;
    }
  }
}

export interface ConnectionInfo {
  readonly name?: string;
  readonly in_msgs: number;
  readonly out_msgs: number;
  readonly subscriptions: number;
  readonly subscriptions_list?: string[];
}

/** One server or a cluster of three, with JetStream, in a temporary folder of its own. */
export class NatsFixture {
  readonly servers: readonly NatsServer[];
  readonly #dir: string;

  private constructor(dir: string, servers: NatsServer[]) {
    this.#dir = dir;
    this.servers = servers;
  }

  /** One server. */
  static single(auth: NatsAuth): Promise<NatsFixture> {
    return withFreshPorts(() => NatsFixture.#single(auth));
  }

  static async #single(auth: NatsAuth): Promise<NatsFixture> {
    const dir = await mkdtemp(join(tmpdir(), 'midge-nats-'));
    const ports = { client: await freePort(), monitor: await freePort(), route: 0 };
    const fixture = new NatsFixture(dir, [await NatsServer.create('n0', dir, ports, auth)]);
    await fixture.#startAll();
    return fixture;
  }

  /**
   * A cluster of `size` servers routed to each other, with JetStream. Resolves once every server has a
   * route to each other one and reports healthy (JetStream has a meta leader).
   */
  static cluster(auth: NatsAuth, size = 3): Promise<NatsFixture> {
    return withFreshPorts(() => NatsFixture.#cluster(auth, size));
  }

  static async #cluster(auth: NatsAuth, size: number): Promise<NatsFixture> {
    const dir = await mkdtemp(join(tmpdir(), 'midge-nats-cluster-'));
    const ports: ServerPorts[] = [];
    for (let i = 0; i < size; i++)
      ports.push({ client: await freePort(), monitor: await freePort(), route: await freePort() });
    const servers: NatsServer[] = [];
    for (let i = 0; i < size; i++) {
      const routes = ports.filter((_, j) => j !== i).map((p) => p.route);
      servers.push(await NatsServer.create(`n${i}`, dir, ports[i] as ServerPorts, auth, routes));
    }
    const fixture = new NatsFixture(dir, servers);
    await fixture.#startAll();
    return fixture;
  }

  /** The first server. */
  get first(): NatsServer {
    return this.servers[0] as NatsServer;
  }

  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  async #startAll(): Promise<void> {
    try {
      await Promise.all(this.servers.map((s) => s.restart()));
      const others = this.servers.length - 1;
      for (const server of this.servers) {
        if (others > 0) await server.until('routez', (r) => r.num_routes === others, READY_TIMEOUT_MS);
        // 200 once JetStream is up; in a cluster, once it has a meta leader.
        await server.until('healthz', (h) => h.status === 'ok', READY_TIMEOUT_MS);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Kills every server and removes the folder. */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.kill()));
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/**
 * Starts what `start` starts, again on other free ports when a port was taken between `freePort` finding it
 * and nats-server binding it (test files run in parallel and take ports too).
 */
async function withFreshPorts(start: () => Promise<NatsFixture>): Promise<NatsFixture> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test(String(err))) throw err;
    }
  }
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
