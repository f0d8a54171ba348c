/**
 * Whole nodes in this process for tests and benchmarks, started through `startNode` exactly as `quarry node start`
 * starts one: free ports, LMDB in a temp dir, the sample hunt, development secrets, plus whatever `settings` say.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HuntGame } from '../actors/hunt/index.js';
import { memoryLogger } from '../actors/runtime/logger.js';
import { startNode, type QuarryNode, type StartNodeOptions } from '../node/index.js';
import { loadConfig, nodeConfig, type NodeConfig } from '../ops/config/index.js';

/** The hunt shipped with Quarry (`actors/hunt/samples/city-hunt.json`), as built into dist/. */
export const SAMPLE_HUNT_FILE = fileURLToPath(new URL('../actors/hunt/samples/city-hunt.json', import.meta.url));

export type Settings = Record<string, string | number | boolean | string[]>;

/** A validated NodeConfig (as the CLI loads one) for a node on loopback with free ports, over `settings`. */
export function testNodeConfig(dataDir: string, settings: Settings = {}): NodeConfig {
  return nodeConfig(
    loadConfig({
      env: {},
      flags: {
        'ops.allowDevSecrets': true,
        'node.dataDir': dataDir,
        'node.host': '127.0.0.1',
        'node.grpcPort': 0,
        'node.httpPort': 0,
        'node.gossipPort': 0,
        'hunt.file': SAMPLE_HUNT_FILE,
        'cluster.membershipPreset': 'local',
        ...settings,
      },
    }),
  );
}

export interface TestNode<Game extends HuntGame | undefined = HuntGame> {
  readonly node: QuarryNode<Game>;
  readonly dataDir: string;
  /** Graceful stop (unless already stopped), then removes the data dir. */
  stop(): Promise<void>;
}

export type TestNodeOptions = Omit<StartNodeOptions, 'config' | 'logger'> & { logger?: StartNodeOptions['logger'] };

/** Starts a node named `name` whose data lives in a fresh temp dir; `stop()` removes it. */
export function startTestNode(name: string, settings?: Settings, options?: TestNodeOptions & { kinds?: undefined }): Promise<TestNode>;
export function startTestNode(name: string, settings: Settings, options: TestNodeOptions & { kinds: NonNullable<TestNodeOptions['kinds']> }): Promise<TestNode<undefined>>;
export async function startTestNode(name: string, settings: Settings = {}, options: TestNodeOptions = {}): Promise<TestNode<HuntGame | undefined>> {
  const dataDir = mkdtempSync(join(tmpdir(), `quarry-${name}-`));
  let node: QuarryNode<HuntGame | undefined>;
  try {
    const config = testNodeConfig(dataDir, settings);
    const logger = options.logger ?? memoryLogger();
    node = options.kinds === undefined ? await startNode({ ...options, kinds: undefined, config, logger }) : await startNode({ ...options, kinds: options.kinds, config, logger });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    node,
    dataDir,
    stop: () =>
      (stopped ??= node.stop().finally(() => rmSync(dataDir, { recursive: true, force: true }))),
  };
}
