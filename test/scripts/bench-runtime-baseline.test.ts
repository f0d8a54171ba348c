import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';

const QUARRY = fileURLToPath(new URL('../../scripts/quarry.js', import.meta.url));

/** Makes `nact` unresolvable in the child, as in an install with --omit=dev (nact is a dev dependency). */
const WITHOUT_NACT = `data:text/javascript,${encodeURIComponent(`
  import { registerHooks } from 'node:module';
  registerHooks({
    resolve(specifier, context, next) {
      if (specifier !== 'nact') return next(specifier, context);
      throw Object.assign(new Error("Cannot find package 'nact'"), { code: 'ERR_MODULE_NOT_FOUND' });
    },
  });`)}`;

describe('quarry without nact (a dev dependency, the runtime bench baseline)', function () {
  this.timeout(60_000);

  it('the CLI runs; only `quarry bench runtime` needs nact, and it says so before measuring anything', function () {
    // module.registerHooks came in Node 22.15, the oldest line Quarry supports; older Nodes cannot hide a package.
    if (!('registerHooks' in nodeModule)) this.skip();
    const help = spawnSync(process.execPath, ['--import', WITHOUT_NACT, QUARRY, 'config', '--json'], { encoding: 'utf8', env: { ...process.env, QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' } });
    assert.equal(help.status, 0, help.stderr);
    const bench = spawnSync(process.execPath, ['--import', WITHOUT_NACT, QUARRY, 'bench', 'runtime'], { encoding: 'utf8' });
    assert.notEqual(bench.status, 0);
    assert.match(bench.stderr, /BaselineMissingError: quarry bench runtime compares against nact, a dev dependency that is not installed: run `npm install` \(without --omit=dev\)/);
    assert.doesNotMatch(bench.stdout, /msgsPerSec/, 'no round ran');
  });
});
