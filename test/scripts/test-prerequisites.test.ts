import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** scripts/test-prerequisites.mjs, `npm test`'s pretest step (plain JavaScript: it runs before the build). */
interface Prerequisites {
  chromiumPath(env: NodeJS.ProcessEnv): string;
  findMissing(env: NodeJS.ProcessEnv): string[];
  osIds(osRelease: string): string[];
  plan(input: { missing: string[]; root: boolean; ids: string[]; aptGet: boolean; chromium: string }):
    | { action: 'ready' }
    | { action: 'install'; packages: string[] }
    | { action: 'stop'; message: string };
}

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = join(REPO, 'scripts/test-prerequisites.mjs');
const load = () => import(SCRIPT) as Promise<Prerequisites>;

/**
 * Runs a command with PATH = a directory holding only `node`, `npm` and `sh` (npm runs scripts with it): no
 * nats-server and no apt-get, so even as root on Debian the script can only stop and print, never install.
 */
function runWithBareBin(binDir: string, command: string[], env: Record<string, string>) {
  const npm = realpathSync(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim());
  if (!existsSync(join(binDir, 'node'))) {
    mkdirSync(binDir, { recursive: true });
    symlinkSync(process.execPath, join(binDir, 'node'));
    symlinkSync(npm, join(binDir, 'npm'));
    symlinkSync('/bin/sh', join(binDir, 'sh'));
  }
  const [file, ...args] = command;
  return spawnSync(join(binDir, file!), args, { cwd: REPO, env: { PATH: binDir, ...env }, encoding: 'utf8', timeout: 60_000 });
}

describe('scripts/test-prerequisites.mjs (npm test installs or names what the tests need)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quarry-prereq-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('osIds reads ID and ID_LIKE, quoted or not', async () => {
    const { osIds } = await load();
    assert.deepEqual(osIds('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'), ['debian']);
    assert.deepEqual(osIds('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n'), ['ubuntu', 'debian']);
    assert.deepEqual(osIds('ID="rocky"\nID_LIKE="rhel centos fedora"\n'), ['rocky', 'rhel', 'centos', 'fedora']);
    assert.deepEqual(osIds(''), []);
  });

  it('plan: install only as root on Debian/Ubuntu with apt-get; otherwise stop with the exact command', async () => {
    const { plan } = await load();
    const chromium = '/usr/bin/chromium';
    const both = ['nats-server', 'chromium'];
    assert.deepEqual(plan({ missing: [], root: false, ids: [], aptGet: false, chromium }), { action: 'ready' });
    assert.deepEqual(plan({ missing: both, root: true, ids: ['debian'], aptGet: true, chromium }), { action: 'install', packages: ['nats-server', 'chromium'] });
    assert.deepEqual(plan({ missing: ['chromium'], root: true, ids: ['ubuntu', 'debian'], aptGet: true, chromium }), { action: 'install', packages: ['chromium'] });
    assert.deepEqual(plan({ missing: both, root: false, ids: ['debian'], aptGet: true, chromium }), {
      action: 'stop',
      message:
        'npm test needs nats-server and chromium: the tests start a real nats-server and a headless Chromium at /usr/bin/chromium.\n' +
        'Install them, then run npm test again:\n\n  sudo apt-get install -y nats-server chromium\n',
    });
    assert.deepEqual(plan({ missing: ['nats-server'], root: true, ids: ['debian'], aptGet: false, chromium }), {
      action: 'stop',
      message:
        'npm test needs nats-server: the tests start a real nats-server and a headless Chromium at /usr/bin/chromium.\n' +
        'Install it, then run npm test again:\n\n  sudo apt-get install -y nats-server\n',
    });
    assert.deepEqual(plan({ missing: both, root: true, ids: ['fedora'], aptGet: false, chromium: '/opt/c' }), {
      action: 'stop',
      message:
        'npm test needs nats-server and chromium: the tests start a real nats-server and a headless Chromium at /opt/c.\n' +
        'Install, then run npm test again:\n\n' +
        '  nats-server on PATH: https://docs.nats.io/running-a-nats-service/introduction/installation\n' +
        '  Chromium or Chrome, then: export QUARRY_CHROMIUM_PATH=/path/to/chromium (now /opt/c)\n',
    });
  });

  it('findMissing looks for nats-server on PATH and Chromium at QUARRY_CHROMIUM_PATH (default /usr/bin/chromium)', async () => {
    const { findMissing, chromiumPath } = await load();
    for (const name of ['nats-server', 'chromium']) {
      writeFileSync(join(dir, name), '#!/bin/sh\n');
      chmodSync(join(dir, name), 0o755);
    }
    writeFileSync(join(dir, 'not-executable'), '');
    assert.equal(chromiumPath({}), '/usr/bin/chromium');
    assert.deepEqual(findMissing({ PATH: ['/nonexistent', dir].join(delimiter), QUARRY_CHROMIUM_PATH: join(dir, 'chromium') }), []);
    assert.deepEqual(findMissing({ PATH: '/nonexistent', QUARRY_CHROMIUM_PATH: join(dir, 'chromium') }), ['nats-server']);
    assert.deepEqual(findMissing({ PATH: dir, QUARRY_CHROMIUM_PATH: join(dir, 'not-executable') }), ['chromium']);
  });

  it('without apt-get (or not root) the script installs nothing, prints the plan for this machine and exits 1', async () => {
    const { plan, osIds } = await load();
    const env = { QUARRY_CHROMIUM_PATH: join(dir, 'no-chromium') };
    const r = runWithBareBin(join(dir, 'bin'), ['node', SCRIPT], env);
    let osRelease = '';
    try {
      osRelease = readFileSync('/etc/os-release', 'utf8');
    } catch {}
    const root = process.getuid?.() === 0;
    const expected = plan({ missing: ['nats-server', 'chromium'], root, ids: osIds(osRelease), aptGet: false, chromium: env.QUARRY_CHROMIUM_PATH });
    assert.equal(expected.action, 'stop');
    assert.deepEqual([r.status, r.stderr], [1, expected.action === 'stop' ? expected.message : ''], r.error?.message);
  });

  it('npm test stops at the pretest step, before the build, when a prerequisite is missing', () => {
    const r = runWithBareBin(join(dir, 'bin'), ['npm', 'test'], { HOME: dir, npm_config_cache: join(dir, 'npm-cache'), QUARRY_CHROMIUM_PATH: join(dir, 'no-chromium') });
    assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /npm test needs nats-server and chromium/);
    assert.match(r.stdout, /> node scripts\/test-prerequisites\.mjs/);
    assert.doesNotMatch(r.stdout, /tsc -p/, 'the build did not start');
  });
});
