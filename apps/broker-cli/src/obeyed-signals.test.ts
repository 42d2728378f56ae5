import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { relayedSignals, SignalRequests, type SupervisedProcess } from './obeyed-signals.js';

describe('SignalRequests', () => {
  it.each([
    [
      'one signal reaching both processes (Ctrl-C, systemd, pkill), own copy first',
      ['own', 'relayed 1'],
      [true, false],
    ],
    ['the same, relayed copy first', ['relayed 1', 'own'], [true, false]],
    ['a signal sent to the supervisor only, twice', ['relayed 1', 'relayed 2'], [true, true]],
    ['a signal sent to the broker only, twice', ['own', 'own'], [true, true]],
    ['two Ctrl-Cs, copies interleaved', ['own', 'relayed 1', 'relayed 2', 'own'], [true, false, true, false]],
    ['a relay that repeats a count already seen', ['relayed 1', 'relayed 1', 'own'], [true, false, false]],
  ])('%s', (_case, events, expected) => {
    const requests = new SignalRequests();
    const results = events.map((e) =>
      e === 'own' ? requests.own('SIGINT') : requests.relayed('SIGINT', Number(e.split(' ')[1])),
    );
    expect(results).toEqual(expected);
  });

  it('counts each signal on its own', () => {
    const requests = new SignalRequests();
    expect(requests.own('SIGHUP')).toBe(true);
    expect(requests.relayed('SIGTERM', 1)).toBe(true);
    expect(requests.relayed('SIGHUP', 1)).toBe(false);
  });
});

function fakeProcess() {
  const emitter = new EventEmitter();
  const exit = vi.fn<(code: number) => void>();
  return { proc: Object.assign(emitter, { exit }) as unknown as SupervisedProcess & EventEmitter, exit };
}

describe('relayedSignals', () => {
  it('hands a signal that arrives directly and relayed to its listeners once', () => {
    const { proc } = fakeProcess();
    const signals = relayedSignals(proc);
    const heard: string[] = [];
    signals.on('SIGINT', (s) => heard.push(s));
    proc.emit('SIGINT');
    proc.emit('message', { midgeSignal: 'SIGINT', count: 1 });
    expect(heard).toEqual(['SIGINT']);
    proc.emit('message', { midgeSignal: 'SIGINT', count: 2 });
    expect(heard).toEqual(['SIGINT', 'SIGINT']);
  });

  it('ignores messages that are not relays', () => {
    const { proc } = fakeProcess();
    const signals = relayedSignals(proc);
    const heard: string[] = [];
    signals.on('SIGHUP', (s) => heard.push(s));
    proc.emit('message', { midgeSignal: 'SIGKILL', count: 1 });
    proc.emit('message', 'SIGHUP');
    expect(heard).toEqual([]);
  });

  it('without a listener yet, ends the process as the signal would', () => {
    const { proc, exit } = fakeProcess();
    relayedSignals(proc);
    proc.emit('SIGTERM');
    expect(exit).toHaveBeenCalledWith(128 + 15);
  });

  it('takes the loss of the supervisor as a SIGTERM', () => {
    const { proc } = fakeProcess();
    const signals = relayedSignals(proc);
    const heard: string[] = [];
    signals.on('SIGTERM', (s) => heard.push(s));
    proc.emit('disconnect');
    expect(heard).toEqual(['SIGTERM']);
  });
});
