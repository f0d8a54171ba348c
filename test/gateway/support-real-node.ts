import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../../actors/runtime/logger.js';
import { startNode, type QuarryNode } from '../../node/index.js';
import { testNodeConfig } from '../../testing/node.js';

/**
 * One whole Quarry node in this process (real LMDB in a temp dir, free ports, the sample hunt), as a player's phone
 * or browser reaches it. The caller stops the node and removes `dataDir`.
 */
export async function startRealNode(name: string, tokenSecret: string, settings: Record<string, string | number | boolean> = {}): Promise<{ node: QuarryNode; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), `quarry-${name}-`));
  const config = testNodeConfig(dataDir, {
    'gateway.tokenSecret': tokenSecret,
    'cluster.key': `${name}-test-cluster-key`,
    'ops.operatorToken': `${name}-test-operator`,
    ...settings,
  });
  return { node: await startNode({ config, logger: memoryLogger() }), dataDir };
}
