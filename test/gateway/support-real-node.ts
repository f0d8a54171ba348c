import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../../actors/runtime/logger.js';
import { loadConfig, nodeConfig } from '../../ops/config/index.js';
import { startNode, type QuarryNode } from '../../node/index.js';
import { SAMPLE_HUNT_FILE } from './web/support/web-stack.js';

/**
 * One whole Quarry node in this process (real LMDB in a temp dir, free ports, the sample hunt), as a player's phone
 * or browser reaches it. The caller stops the node and removes `dataDir`.
 */
export async function startRealNode(name: string, tokenSecret: string, settings: Record<string, string | number | boolean> = {}): Promise<{ node: QuarryNode; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), `quarry-${name}-`));
  const config = nodeConfig(
    loadConfig({
      env: {},
      flags: {
        'node.dataDir': dataDir,
        'node.host': '127.0.0.1',
        'node.grpcPort': 0,
        'node.httpPort': 0,
        'node.gossipPort': 0,
        'hunt.file': SAMPLE_HUNT_FILE,
        'gateway.tokenSecret': tokenSecret,
        'cluster.key': `${name}-test-cluster-key`,
        'ops.operatorToken': `${name}-test-operator`,
        ...settings,
      },
    }),
  );
  return { node: await startNode({ config, logger: memoryLogger() }), dataDir };
}
