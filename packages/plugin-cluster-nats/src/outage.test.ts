import { describe, expect, it } from 'vitest';
import { recordingLogger } from '@midge/mqtt-core/testing';
import { OutageReporter } from './outage.js';

describe('OutageReporter', () => {
  it('warns once per outage however often it is told, and reports the drops when the link is back', () => {
    const logger = recordingLogger();
    const outage = new OutageReporter(logger, 'nats://127.0.0.1:4222');
    expect(outage.down).toBe(false);
    outage.lost('connection refused');
    outage.lost('connection refused');
    outage.lost(undefined);
    outage.drop();
    outage.drop();
    expect(outage.down).toBe(true);
    expect(logger.records.map((r) => [r.level, r.msg.slice(0, 34)])).toEqual([
      ['warn', 'lost the connection to NATS: recon'],
    ]);
    outage.regained('127.0.0.1:4222');
    outage.regained('127.0.0.1:4222');
    expect(outage.down).toBe(false);
    expect(logger.records).toHaveLength(2);
    expect(logger.records[1]?.level).toBe('warn');
    expect(logger.records[1]?.msg).toMatch(/reconnected to NATS; 2 messages published here meanwhile did not reach/);
    expect(logger.records[1]?.obj).toMatchObject({ dropped: 2, server: '127.0.0.1:4222' });

    // A second outage: warned again, nothing dropped this time, the total kept.
    outage.lost(undefined);
    outage.regained('127.0.0.1:4222');
    expect(logger.records.slice(2).map((r) => [r.level, r.msg.slice(0, 20)])).toEqual([
      ['warn', 'lost the connection '],
      ['info', 'reconnected to NATS'],
    ]);
    expect(outage.droppedTotal).toBe(2);
  });
});
