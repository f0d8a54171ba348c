import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../ops/log.js';

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
});
