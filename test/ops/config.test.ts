import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configTableMarkdown, describeConfig, envName, loadConfig, nodeConfig, SETTINGS } from '../../ops/config/index.js';

const dev = { 'ops.allowDevSecrets': true };

describe('ops/config', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'quarry-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('derives environment variable names from keys', () => {
    assert.equal(envName('runtime.passivationIdleMs'), 'QUARRY_RUNTIME_PASSIVATION_IDLE_MS');
    assert.equal(envName('node.id'), 'QUARRY_NODE_ID');
    assert.equal(envName('gateway.maxMessageBytes'), 'QUARRY_GATEWAY_MAX_MESSAGE_BYTES');
  });

  it('layers default < file < environment < flag and reports each value\'s source', () => {
    const file = join(dir, 'node.yaml');
    writeFileSync(file, 'runtime:\n  passivationIdleMs: 1000\n  mailboxCapacity: 7\nnode:\n  id: from-file\n');
    const loaded = loadConfig({
      file,
      env: { QUARRY_RUNTIME_MAILBOX_CAPACITY: '8', QUARRY_NODE_SEEDS: 'a:1, b:2' },
      flags: { ...dev, 'node.id': 'from-flag' },
    });
    const cfg = nodeConfig(loaded);
    assert.equal(cfg.runtime.passivationIdleMs, 1000);
    assert.equal(cfg.runtime.mailboxCapacity, 8);
    assert.equal(cfg.node.id, 'from-flag');
    assert.deepEqual(cfg.node.seeds, ['a:1', 'b:2']);
    assert.equal(loaded.sources['runtime.passivationIdleMs'], 'file');
    assert.equal(loaded.sources['runtime.mailboxCapacity'], 'environment');
    assert.equal(loaded.sources['node.id'], 'flag');
    assert.equal(loaded.sources['runtime.askTimeoutMs'], 'default');
  });

  it('rejects a bad value with an error naming the key and the rule', () => {
    assert.throws(() => loadConfig({ env: {}, flags: { ...dev, 'runtime.mailboxCapacity': 0 } }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.key, 'runtime.mailboxCapacity');
      assert.match(err.message, /runtime\.mailboxCapacity: 0 \(from flag\) is invalid: .*>0/);
      return true;
    });
    assert.throws(() => loadConfig({ env: { QUARRY_RUNTIME_ASK_TIMEOUT_MS: 'soon' }, flags: dev }), /runtime\.askTimeoutMs: QUARRY_RUNTIME_ASK_TIMEOUT_MS="soon" is not a number/);
    assert.throws(() => loadConfig({ env: {}, flags: { ...dev, 'hunt.leaderboardStalenessMs': 5000 } }), /hunt\.leaderboardStalenessMs: must be at most 2000/);
  });

  it('rejects unknown keys in files and flags', () => {
    const file = join(dir, 'node.json');
    writeFileSync(file, JSON.stringify({ runtime: { passivationIdleSeconds: 3 } }));
    assert.throws(() => loadConfig({ file, env: {}, flags: dev }), /runtime\.passivationIdleSeconds: unknown setting/);
  });

  it('refuses the built-in development secrets unless allowed, without printing them', () => {
    assert.throws(() => loadConfig({ env: {} }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.key, 'cluster.key');
      assert.doesNotMatch(err.message, /quarry-dev-cluster-key/);
      return true;
    });
    const secrets = { QUARRY_CLUSTER_KEY: 'k'.repeat(32), QUARRY_GATEWAY_TOKEN_SECRET: 't'.repeat(40), QUARRY_OPS_OPERATOR_TOKEN: 'o'.repeat(20) };
    const rows = describeConfig(loadConfig({ env: secrets }));
    const key = rows.find((r) => r.key === 'cluster.key')!;
    assert.deepEqual(key, { key: 'cluster.key', value: '<set>', source: 'environment' });
    assert.ok(!JSON.stringify(rows).includes('k'.repeat(32)));
  });

  it('every duration and size setting carries its unit in its name', () => {
    const unitless = SETTINGS.filter((s) => typeof s.default === 'number')
      .map((s) => s.key)
      .filter((k) => !/(Ms|Minutes|Days|Bytes|Mb|Messages|Port|PerSec|Capacity|Factor|Hops|Ratio|Events|Calls|Subscribes)$/.test(k));
    assert.deepEqual(unitless, []);
  });

  it('README holds exactly the generated configuration table', () => {
    const readme = readFileSync('README.md', 'utf8');
    assert.ok(readme.includes(configTableMarkdown()), 'README.md config table is stale: paste `node dist/scripts/quarry.js config --markdown` into it');
  });
});
