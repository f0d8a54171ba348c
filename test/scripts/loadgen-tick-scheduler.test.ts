/** scripts/loadgen/tick-scheduler.ts: due work run in due order, periodic work keeping its phase, cancels. Driven through runDue, no timers. */
import assert from 'node:assert/strict';
import { TickScheduler } from '../../scripts/loadgen/tick-scheduler.js';

describe('scripts/loadgen/tick-scheduler', () => {
  it('runs what is due in due order (ties in scheduling order), periodic work every period from its due time', () => {
    const s = new TickScheduler(10, () => 0);
    const ran: string[] = [];
    s.schedule(25, 100, () => ran.push('a'));
    s.schedule(5, undefined, () => ran.push('once'));
    s.schedule(25, 40, () => ran.push('b'));
    s.schedule(0, 30, () => ran.push('c'));
    s.runDue(0);
    assert.deepEqual(ran, ['c']);
    s.runDue(30);
    assert.deepEqual(ran, ['c', 'once', 'a', 'b', 'c']);
    ran.length = 0;
    s.runDue(65); // b due 65, c due 60
    assert.deepEqual(ran, ['c', 'b']);
    ran.length = 0;
    s.runDue(125); // a due 125, c due 90 and 120, b due 105
    assert.deepEqual(ran, ['c', 'b', 'a']);
  });

  it('a periodic task late by more than its period runs once and keeps its phase', () => {
    const s = new TickScheduler(10, () => 0);
    const at: number[] = [];
    let now = 0;
    s.schedule(0, 10, () => at.push(now));
    for (now of [0, 35, 40, 41, 50]) s.runDue(now);
    assert.deepEqual(at, [0, 35, 40, 50]);
  });

  it('a cancelled task does not run again', () => {
    const s = new TickScheduler(10, () => 0);
    let runs = 0;
    const task = s.schedule(0, 10, () => runs++);
    s.runDue(0);
    task.cancel();
    s.runDue(100);
    assert.equal(runs, 1);
  });

  it('keeps 5,000 periodic tasks in order', () => {
    const s = new TickScheduler(10, () => 0);
    const ran: number[] = [];
    for (let i = 0; i < 5_000; i++) s.schedule((i * 7919) % 10_000, 10_000, () => ran.push((i * 7919) % 10_000));
    for (let t = 0; t < 20_000; t += 10) s.runDue(t);
    s.runDue(19_999);
    assert.equal(ran.length, 10_000);
    for (let k = 1; k < ran.length; k++) if (k !== 5_000) assert.ok(ran[k - 1]! <= ran[k]!, `run ${k}: due ${ran[k]} after ${ran[k - 1]}`);
  });

  it('refuses a tick that is not a positive number of ms, naming it', () => {
    assert.throws(() => new TickScheduler(0), /tickMs must be a positive number of ms, got 0/);
  });
});
