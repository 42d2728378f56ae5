import { createHash } from 'node:crypto';
import { realpathSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';

/** Where, outside Linux, the lock socket lives in the data directory (Linux uses an abstract socket: no file). */
export const LOCK_FILE = 'midge.lock.sock';

/**
 * An exclusive hold on a data directory for this process, so a second broker on the same directory refuses to
 * start (LMDB itself lets several processes share an environment; two brokers would each restore, then
 * rewrite, the same sessions). The hold is a listening local socket named after the directory: the kernel
 * frees it the moment the process dies (kill -9 included, zombie or not), so a crash never leaves a lock to
 * clean up, and a reused pid can never hold it by accident (a pid file would need a liveness check that a
 * zombie or a reused pid fools). A second opener learns the holder's pid from it. Limit: an abstract socket
 * lives in a network namespace, so two containers sharing the directory but not a network namespace do not
 * see each other's hold.
 */
export class DirectoryLock {
  private readonly dir: string;
  private server: Server | undefined;
  private address: string | undefined;

  constructor(dir: string) {
    this.dir = dir;
  }

  async acquire(): Promise<void> {
    const address = lockAddress(this.dir);
    for (let attempt = 0; attempt < 2; attempt++) {
      const server = createServer((socket) => socket.end(`${process.pid}\n`));
      try {
        await listen(server, address);
        server.unref();
        this.server = server;
        this.address = address;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
      const owner = await holderOf(address);
      if (owner !== undefined)
        throw new Error(
          `the data directory ${this.dir} is in use by another broker (pid ${owner}); stop that broker, or give this one another directory (--data-dir)`,
        );
      // A socket file left by a process that died (not on Linux, where the socket has no file): replace it.
      unlinkQuietly(address);
    }
    throw new Error(`could not take the lock on ${this.dir}: another process keeps taking it`);
  }

  release(): void {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    server.close();
    if (this.address !== undefined && !this.address.startsWith('\0')) unlinkQuietly(this.address);
  }
}

function lockAddress(dir: string): string {
  if (process.platform !== 'linux') return join(dir, LOCK_FILE);
  const real = realpathSync(dir);
  return `\0midge-store-${createHash('sha256').update(real).digest('hex').slice(0, 40)}`;
}

function listen(server: Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}

/**
 * The pid the holder of `address` reports ('unknown' if it is too busy to answer: a connection accepted is
 * proof enough that it lives), or undefined when nobody listens (a stale socket file).
 */
function holderOf(address: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(address);
    let said = '';
    const answer = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(said.trim() === '' ? 'unknown' : said.trim());
    };
    const timer = setTimeout(answer, 2000);
    timer.unref();
    socket.on('data', (d: Buffer) => (said += d.toString()));
    socket.on('end', answer);
    socket.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
