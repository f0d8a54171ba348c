import { strict as assert } from 'node:assert';
import FakeTimers from '@sinonjs/fake-timers';
import type { Clock } from '../../../actors/runtime/port.js';
import { StartHold } from '../../../cluster/routing/start-hold.js';

/** The start-up hold's own logic, on a fake clock; the chaos bench shows its effect on a restarted node. */
describe('cluster/routing: StartHold (messages that arrive while a node starts wait for it; fake clock)', () => {
  let fake: FakeTimers.Clock;
  let clock: Clock;

  beforeEach(() => {
    fake = FakeTimers.createClock(1_000);
    clock = {
      now: () => fake.now,
      setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
      clearTimeout: (h) => fake.clearTimeout(h as FakeTimers.TimerId),
      setInterval: (fn, ms) => fake.setInterval(fn, ms),
      clearInterval: (h) => fake.clearInterval(h as FakeTimers.TimerId),
    };
  });

  it('releases what it holds whenever the node handles messages, until the hold is over', async () => {
    const hold = new StartHold(clock, 4_000);
    const a = hold.hold(0)!;
    const b = hold.hold(3_500)!;
    assert.equal(hold.held, 2);
    await fake.tickAsync(500);
    hold.handling();
    assert.deepEqual(await Promise.all([a, b]), [true, true]);
    assert.equal(hold.held, 0);
    // A moment without quorum soon after (a freshly restarted node told to rejoin) holds again.
    const c = hold.hold(0)!;
    await fake.tickAsync(300);
    hold.handling();
    assert.equal(await c, true);
    await fake.tickAsync(2_200);
    assert.equal(hold.hold(0), undefined, 'past the hold a message is refused at once');
  });

  it('refuses at its deadline, at the end of the hold, and at once past the hold or the cap', async () => {
    const hold = new StartHold(clock, 4_000, 3);
    const byDeadline = hold.hold(1_200)!;
    const byHold = hold.hold(0)!;
    const outcomes: Array<[string, boolean]> = [];
    void byDeadline.then((h) => outcomes.push(['deadline', h]));
    void byHold.then((h) => outcomes.push(['hold', h]));
    hold.hold(0);
    assert.equal(hold.hold(0), undefined, 'the cap of 3 held messages');
    await fake.tickAsync(200);
    assert.deepEqual(outcomes, [['deadline', false]]);
    await fake.tickAsync(2_800);
    assert.deepEqual(outcomes, [['deadline', false], ['hold', false]]);
    assert.equal(hold.held, 0);
    assert.equal(hold.hold(0), undefined, 'the hold is over: refused at once');
  });

  it('a node that stops or leaves while holding refuses what it holds', async () => {
    const hold = new StartHold(clock, 4_000);
    const held = hold.hold(0)!;
    hold.stop();
    assert.equal(await held, false);
    assert.equal(hold.hold(0), undefined);
  });
});
