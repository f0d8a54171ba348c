/**
 * A real single Quarry node for the admin and inspector tests: LMDB in a temp dir, the ActorHost with the hunt's
 * kinds, the HuntGame, and one gateway server whose gRPC port hosts Admin and whose HTTP port serves the inspector.
 * It mirrors node/start-node.ts ; the notifier is left out (not inspected).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActorHost, memoryLogger, systemClock } from '../../../../actors/runtime/index.js';
import { openLmdbStore } from '../../../../actors/store/index.js';
import { HuntGame, huntKinds, loadHuntFile } from '../../../../actors/hunt/index.js';
import { startGatewayServer, type GatewayServer } from '../../../../gateway/server.js';
import { operatorTools } from '../../../../ops/admin/operator-tools.js';
import type { AdminTarget } from '../../../../ops/admin/target.js';
import { ProcessSampler } from '../../../../ops/process-metrics.js';
import { loadConfig, nodeConfig } from '../../../../ops/config/index.js';

export const OPERATOR_TOKEN = 'admin-test-operator-token-0123456789';
export const SAMPLE_HUNT_FILE = fileURLToPath(new URL('../../../../actors/hunt/samples/city-hunt.json', import.meta.url));

export interface AdminNode {
  readonly nodeId: string;
  readonly grpcAddress: string;
  readonly httpUrl: string;
  readonly host: ActorHost;
  readonly game: HuntGame;
  readonly target: AdminTarget;
  readonly edge: GatewayServer;
  /** Sends one fix for `playerId` next to beacon `beaconIndex` of the sample hunt; resolves once handled and committed. */
  fix(playerId: string, seq: number, beaconIndex?: number): Promise<unknown>;
  close(): Promise<void>;
}

export async function startAdminNode(nodeId = 'n1', recordRecent: 'inspected' | 'all' = 'inspected'): Promise<AdminNode> {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-admin-'));
  const config = nodeConfig(loadConfig({ flags: { 'ops.allowDevSecrets': true, 'ops.operatorToken': OPERATOR_TOKEN, 'node.id': nodeId, 'node.dataDir': dir, 'hunt.file': SAMPLE_HUNT_FILE } }));
  const hunt = loadHuntFile(config.hunt.file);
  const kinds = huntKinds(hunt, { sessionTtlMinutes: config.hunt.sessionTtlMinutes, leaderboardStalenessMs: config.hunt.leaderboardStalenessMs });
  const store = openLmdbStore({ path: dir, mapSizeMb: config.store.mapSizeMb, auditRetentionDays: config.store.auditRetentionDays });
  const clock = systemClock();
  const host = new ActorHost({ store, clock, logger: memoryLogger(), kinds: kinds.all, ...config.runtime, ttlSweepIntervalMs: config.store.ttlSweepIntervalMs });
  const game = new HuntGame(kinds, { system: host, clock, audit: store });
  const sampler = new ProcessSampler();
  // The same operator tools node/operators.ts mounts, without the cluster part.
  const ops = operatorTools({ nodeId, host, store, sampler, operatorToken: config.ops.operatorToken, recordRecent });
  const edge = await startGatewayServer({
    host: '127.0.0.1', grpcPort: 0, httpPort: 0, services: [ops.service], maxMessageBytes: 4 * 1024 * 1024, corsOrigins: [],
    httpFallback: (req, res) => {
      if (!ops.inspector(req, res)) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    },
  });
  const grpcAddress = `127.0.0.1:${edge.grpcPort}`;
  ops.listening(grpcAddress);
  const target = ops.target!;
  return {
    nodeId, grpcAddress, httpUrl: `http://127.0.0.1:${edge.httpPort}`, host, game, target, edge,
    fix: (playerId, seq, beaconIndex = 0) => game.reportFix(playerId, { clientSeq: seq, clientTimeMs: Date.now(), readings: [{ beaconId: hunt.beacons[beaconIndex]!.id, rssiDbm: -55 }] }),
    async close() {
      ops.close();
      await edge.close();
      game.close();
      await host.close();
      sampler.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
