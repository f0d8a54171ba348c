import assert from 'node:assert/strict';
import { NonceCache, checkAccept, checkDial, mac, signAccept, signDial } from '../../../cluster/transport/auth.js';
import { TransportConfigError } from '../../../cluster/transport/errors.js';
import { Fifo, decodeBatch, envelopeFrame, joinFrames, replyFrame } from '../../../cluster/transport/frames.js';
import { backoffMs, linkOptions } from '../../../cluster/transport/options.js';
import { envelope } from './support.js';

const KEY = 'k'.repeat(16);
const NOW = 1_700_000_000_000;

describe('cluster/transport pure parts', () => {
  it('mac is HMAC-SHA256 over the |-joined parts (known value)', () => {
    // echo -n 'dial|a|b|1|n' | openssl dgst -sha256 -hmac kkkkkkkkkkkkkkkk -binary | base64url
    assert.equal(mac(KEY, ['dial', 'a', 'b', 1, 'n']), '5LHTe0FPgrBz9UXwau5Tthnw94fU7kPJ4jk4sv1EXlM');
    assert.notEqual(mac(KEY, ['dial', 'a', 'b', 1, 'n']), mac('x'.repeat(16), ['dial', 'a', 'b', 1, 'n']));
  });

  const good = signDial(KEY, 'a', 'b', NOW, 'n1');
  const dialCases: Array<[string, Parameters<typeof checkDial>, string | undefined]> = [
    ['good proof', [KEY, 'b', good, NOW, 30_000], undefined],
    ['skew at the limit', [KEY, 'b', good, NOW + 30_000, 30_000], undefined],
    ['skew past the limit', [KEY, 'b', good, NOW + 30_001, 30_000], 'timestamp off by 30001 ms (allowed ±30000)'],
    ['wrong key', ['w'.repeat(16), 'b', good, NOW, 30_000], 'bad HMAC'],
    ['meant for another node', [KEY, 'c', good, NOW, 30_000], 'addressed to "b", this node is "c"'],
    ['claims our id', [KEY, 'a', signDial(KEY, 'a', 'a', NOW, 'n'), NOW, 30_000], 'peer claims this node\'s own id'],
    ['tampered sender', [KEY, 'b', { ...good, from: 'z' }, NOW, 30_000], 'bad HMAC'],
    ['missing mac', [KEY, 'b', { ...good, mac: '' }, NOW, 30_000], 'missing auth headers'],
    ['NaN timestamp', [KEY, 'b', { ...good, tsMs: Number.NaN }, NOW, 30_000], 'missing auth headers'],
  ];
  for (const [name, args, expected] of dialCases) {
    it(`checkDial: ${name}`, () => assert.equal(checkDial(...args), expected));
  }

  const answer = signAccept(KEY, 'b', 'a', NOW, 'n1', 'n2');
  const acceptCases: Array<[string, Parameters<typeof checkAccept>, string | undefined]> = [
    ['good answer', [KEY, 'a', 'b', 'n1', answer, NOW, 30_000], undefined],
    ['answer replayed for another dial', [KEY, 'a', 'b', 'other-nonce', answer, NOW, 30_000], 'bad HMAC'],
    ['someone else answered', [KEY, 'a', 'c', 'n1', answer, NOW, 30_000], 'answered as "b", expected "c"'],
    ['forged', [KEY, 'a', 'b', 'n1', { ...answer, mac: 'forged' }, NOW, 30_000], 'bad HMAC'],
    ['no headers', [KEY, 'a', 'b', 'n1', { from: '', to: '', tsMs: Number.NaN, nonce: '', mac: '' }, NOW, 30_000], 'missing auth headers'],
  ];
  for (const [name, args, expected] of acceptCases) {
    it(`checkAccept: ${name}`, () => assert.equal(checkAccept(...args), expected));
  }

  it('NonceCache refuses a replay inside the window and forgets after twice the window', () => {
    const c = new NonceCache(1_000);
    assert.equal(c.admit('x', 0), true);
    assert.equal(c.admit('x', 1_999), false);
    assert.equal(c.admit('y', 2_001), true); // evicts x (older than 2 windows)
    assert.equal(c.size, 1);
    assert.equal(c.admit('x', 2_002), true);
  });

  it('backoffMs doubles from base, caps at max, jitter takes off up to a fifth', () => {
    assert.deepEqual([0, 1, 2, 3, 6, 7, 50].map((n) => backoffMs(n, 100, 5_000, 0)), [100, 200, 400, 800, 5_000, 5_000, 5_000]);
    assert.equal(backoffMs(0, 100, 5_000, 0.5), 90);
    assert.equal(backoffMs(10, 100, 5_000, 0.999), 4_001);
  });

  it('linkOptions fills defaults and names the key of a bad value', () => {
    assert.deepEqual(linkOptions({}), { maxQueuedEnvelopes: 10_000, maxQueuedBytes: 16 * 1024 * 1024, maxBatchBytes: 256 * 1024, maxInboundInFlight: 10_000 });
    assert.throws(() => linkOptions({ maxQueuedEnvelopes: 0 }), (e: unknown) => e instanceof TransportConfigError && /maxQueuedEnvelopes: must be a positive integer, got 0/.test(e.message));
    assert.throws(() => linkOptions({ maxBatchBytes: 2_000, maxQueuedBytes: 1_000 }), /maxBatchBytes: must not exceed maxQueuedBytes \(1000\)/);
  });

  it('frames concatenate into one Batch, envelopes and replies kept in their order', () => {
    const frames = [envelopeFrame(envelope('a')), replyFrame({ correlationId: 7, payload: Buffer.from('r'), errorCode: '', errorMessage: '' }), envelopeFrame(envelope('b'))];
    const total = frames.reduce((n, f) => n + f.length, 0);
    const batch = decodeBatch(joinFrames(frames, total));
    assert.deepEqual(batch.envelopes.map((e) => e.payload.toString()), ['a', 'b']);
    assert.deepEqual(batch.replies.map((r) => r.correlationId), [7]);
  });

  it('Fifo keeps order across compaction', () => {
    const q = new Fifo<number>();
    const out: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      q.push(i);
      if (i % 3 === 0) out.push(q.shift()!);
    }
    while (q.length) out.push(q.shift()!);
    assert.deepEqual(out, Array.from({ length: 5_000 }, (_, i) => i));
    assert.equal(q.shift(), undefined);
  });
});
