import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import FakeTimers from '@sinonjs/fake-timers';
import { createLogger, SAMPLED_SUMMARY_MSG } from '../../ops/log.js';
import { LogSampler } from '../../ops/log-sampler.js';
import { AskTimeoutError, LinkOverloadedError } from '../../cluster/transport/errors.js';

function collect(): { lines: Array<Record<string, any>>; destination: Writable } {
  const lines: Array<Record<string, any>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, any>);
      done();
    },
  });
  return { lines, destination };
}

describe('ops/log', () => {
  it('writes one JSON object per line with the node id, and redacts secrets', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ level: 'info', nodeId: 'n1', destination });
    log.info({ event: 'config', config: { cluster: { key: 'cluster-secret-1' }, gateway: { tokenSecret: 'token-secret-2' }, ops: { operatorToken: 'op-3' } } }, 'loaded');
    log.info({ event: 'peer', clusterKey: 'cluster-secret-4', peer: { token: 'tok-5' } });
    log.debug({ event: 'hidden' });
    assert.equal(lines.length, 2);
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, any>);
    assert.equal(first!.node, 'n1');
    assert.equal(first!.event, 'config');
    assert.equal(first!.config.cluster.key, '[redacted]');
    assert.equal(second!.clusterKey, '[redacted]');
    assert.equal(second!.peer.token, '[redacted]');
    for (const secret of ['cluster-secret-1', 'token-secret-2', 'op-3', 'cluster-secret-4', 'tok-5']) assert.ok(!lines.join('').includes(secret), `${secret} leaked`);
  });

  describe('sampling of repeated warn and error lines', () => {
    let clock: ReturnType<typeof FakeTimers.install>;
    beforeEach(() => {
      clock = FakeTimers.install({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    });
    afterEach(() => clock.uninstall());

    it('writes 5 lines per (message, error name) per window, then counts; the next line and the summary say how many', () => {
      const { lines, destination } = collect();
      const log = createLogger({ level: 'info', nodeId: 'n1', destination, sampling: { linesPerWindow: 5, windowMs: 10_000 } });
      const timeout = new AskTimeoutError('n2', 1, 0);
      const overload = new LinkOverloadedError('n2', 10_000, 1, '10000 envelopes');
      for (let i = 0; i < 100; i++) log.error({ err: timeout, method: 'Subscribe' }, 'hunt call failed');
      for (let i = 0; i < 3; i++) log.error({ err: overload, method: 'Subscribe' }, 'hunt call failed');
      for (let i = 0; i < 50; i++) log.info({ event: 'member' }, 'member alive');
      assert.equal(lines.filter((l) => l.err?.type === 'AskTimeoutError').length, 5);
      assert.equal(lines.filter((l) => l.err?.type === 'LinkOverloadedError').length, 3);
      assert.equal(lines.filter((l) => l.msg === 'member alive').length, 50, 'info lines are not sampled');
      assert.ok(typeof lines.find((l) => l.err?.type === 'AskTimeoutError')?.err?.stack === 'string', 'a sampled line keeps its stack');
      clock.tick(10_000);
      const summary = lines.filter((l) => l.msg === SAMPLED_SUMMARY_MSG);
      assert.deepEqual(summary.map((l) => [l.line, l.suppressed]), [['hunt call failed|AskTimeoutError', 95]]);
      log.error({ err: timeout, method: 'Subscribe' }, 'hunt call failed');
      const last = lines[lines.length - 1]!;
      assert.equal(last.err.type, 'AskTimeoutError');
      assert.equal(last.suppressedBefore, undefined, 'the summary already reported those 95');
    });

    it('sampling: false writes every line', () => {
      const { lines, destination } = collect();
      const log = createLogger({ level: 'info', destination, sampling: false });
      for (let i = 0; i < 20; i++) log.warn({ err: new Error('x') }, 'same');
      assert.equal(lines.length, 20);
    });
  });

  it('LogSampler: a line after left-out ones carries their count; idle keys are forgotten', () => {
    let now = 0;
    const s = new LogSampler(() => now, 2, 1_000);
    assert.deepEqual([s.admit('a'), s.admit('a'), s.admit('a'), s.admit('a')], [{ suppressed: 0 }, { suppressed: 0 }, undefined, undefined]);
    now = 1_000;
    assert.deepEqual(s.admit('a'), { suppressed: 2 });
    assert.deepEqual(s.drain(), []);
    now = 2_500;
    assert.deepEqual(s.drain(), [], 'a idle for a window: forgotten');
    assert.deepEqual(s.admit('a'), { suppressed: 0 });
  });
});
