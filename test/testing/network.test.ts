import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { NAMESPACE_PREFIX, netnsUnavailableReason, sweepStale, SUBNET, TestNetwork } from '../../testing/netns/network.js';

const namespaces = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n !== '');

describe('testing/netns: the test network (namespaces on a private bridge)', function () {
  before(function () {
    const reason = netnsUnavailableReason();
    if (reason !== undefined) {
      console.warn(`    NOT RUN: the network namespace tests need: ${reason}`);
      this.skip();
    }
  });

  it('gives each host its address on the /24 and no route beyond it; destroy removes every namespace it made', () => {
    const net = new TestNetwork('nt');
    try {
      const a = net.addHost('a', 21);
      assert.equal(a.address, `${SUBNET}.21`);
      const routes = execFileSync('ip', ['-n', a.ns, 'route'], { encoding: 'utf8' }).trim().split('\n');
      assert.deepEqual(routes.map((r) => r.split(' ')[0]), [`${SUBNET}.0/24`], `routes of ${a.ns}: ${routes.join('; ')}`);
      assert.ok(namespaces().includes(a.ns));
    } finally {
      net.destroy();
    }
    const mine = namespaces().filter((n) => n.startsWith(`${NAMESPACE_PREFIX}${process.pid}-nt-`));
    assert.deepEqual(mine, []);
  });

  it('sweeps the namespaces of a run whose process is gone (killed before it cleaned up), and leaves live runs alone', () => {
    // Pid numbers are below /proc/sys/kernel/pid_max (at most 2^22): this one belongs to no process.
    const stale = `${NAMESPACE_PREFIX}4999999-x-hub`;
    const live = `${NAMESPACE_PREFIX}${process.pid}-sweep-hub`;
    execFileSync('ip', ['netns', 'add', stale]);
    execFileSync('ip', ['netns', 'add', live]);
    try {
      assert.ok(sweepStale().includes(stale));
      assert.ok(!namespaces().includes(stale));
      assert.ok(namespaces().includes(live));
    } finally {
      for (const ns of [stale, live]) if (namespaces().includes(ns)) execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
