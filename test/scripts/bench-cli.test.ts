/**
 * `quarry bench` as a user runs it: options a suite cannot honour are usage errors (exit 2, one line naming the
 * option), not a stack trace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const QUARRY = fileURLToPath(new URL('../../scripts/quarry.js', import.meta.url));

describe('quarry bench: usage errors', function () {
  this.timeout(30_000);

  for (const [args, expected] of [
    [['chaos', '--duration-s', '15'], /quarry bench chaos: --duration-s must leave room for the kill and the restart 10 s later, got 15/],
    [['chaos', '--nodes', '2'], /quarry bench chaos: --nodes must be an integer of at least 3/],
  ] as const) {
    it(`bench ${args.join(' ')} exits 2 naming the option`, () => {
      const r = spawnSync(process.execPath, [QUARRY, 'bench', ...args], { encoding: 'utf8', env: { ...process.env, QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' } });
      assert.equal(r.status, 2, `stderr: ${r.stderr}`);
      assert.match(r.stderr, expected);
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    });
  }
});
