import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('proto/gen', () => {
  it('is exactly what `npm run proto` generates from proto/*.proto', function () {
    this.timeout(60_000);
    const base = mkdtempSync(join(tmpdir(), 'quarry-proto-'));
    try {
      execFileSync('node', ['scripts/proto-gen.mjs', base], { stdio: 'pipe' });
      const fresh = join(base, 'proto/gen');
      const names = readdirSync(fresh).sort();
      assert.deepEqual(readdirSync('proto/gen').sort(), names, 'proto/gen has other files than the generator makes');
      for (const name of names) {
        assert.equal(readFileSync(join('proto/gen', name), 'utf8'), readFileSync(join(fresh, name), 'utf8'), `proto/gen/${name} is stale: run npm run proto`);
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
