import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { followChildLevels, setLogLevel } from './log-level.js';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe('setLogLevel', () => {
  it('reaches the children (and grandchildren) made from a followed logger, before and after the change', () => {
    const { lines, stream } = capture();
    const root = createLogger({ level: 'info', destination: stream });
    const plugin = root.child({ plugin: 'p' });
    followChildLevels(plugin);
    const child = plugin.child({ part: 'a' });
    const grandchild = child.child({ part: 'b' });
    grandchild.debug('hidden');
    setLogLevel(plugin, 'debug');
    grandchild.debug('shown');
    child.debug('shown too');
    plugin.child({ part: 'later' }).debug('later child');
    setLogLevel(plugin, 'warn');
    child.info('hidden again');
    const msgs = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toEqual(['shown', 'shown too', 'later child']);
  });

  it('leaves a logger without a level alone', () => {
    const logger = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {}, child: () => logger };
    expect(() => {
      followChildLevels(logger as never);
      setLogLevel(logger as never, 'debug');
    }).not.toThrow();
  });
});
