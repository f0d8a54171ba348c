/**
 * The clients of a nemesis run: a child process started in the clients' namespace by `runWorkload`
 * (testing/netns/workload.ts), which says there what it does. It reports over IPC and exits when the parent goes.
 */
import { status } from '@grpc/grpc-js';
import { loadHuntFile } from '../../actors/hunt/index.js';
import { issuePlayerToken } from '../../gateway/auth/index.js';
import { loadConfig, nodeConfig } from '../../ops/config/index.js';
import { adminClient } from '../../ops/admin/client.js';
import { Fix, HuntService, TreasureList, TreasureListRequest } from '../../proto/gen/hunt.js';
import { callHeaders, H2Channel, type CallStatus } from '../../scripts/loadgen/h2-channel.js';
import { runLoad } from '../../scripts/loadgen/run.js';
import { DEFAULT_WALK_OPTIONS, Walker } from '../../scripts/sim/walker.js';
import { ActivationWatch, checkTreasures, type ActiveActor, type TreasureState } from './invariants.js';
import type { FromAgent, ToAgent, WorkloadOptions, WorkloadReport } from './workload.js';

/** How often every probe player sends a fix to its node. @default 200 ms */
const PROBE_TICK_MS = 200;
/** Probe players per serving node. @default 3 */
const PROBES_PER_TARGET = 3;
/** A probe fix not answered within this failed (DEADLINE_EXCEEDED). @default 1000 ms */
const PROBE_DEADLINE_MS = 1_000;
/** How often every node is asked for its active actors. @default 1000 ms */
const ACTIVATION_POLL_MS = 1_000;
/** How long one node may take to list its active actors before the poll leaves it out. @default 800 ms */
const ACTIVATION_POLL_TIMEOUT_MS = 800;
/** How long the end keeps trying to read a treasure list. @default 20000 ms */
const TREASURE_READ_MS = 20_000;
/** Deadline of one treasure list read. @default 2000 ms */
const TREASURE_CALL_MS = 2_000;

function send(m: FromAgent): void {
  process.send!(m);
}

async function run(o: WorkloadOptions): Promise<WorkloadReport> {
  const config = nodeConfig(loadConfig({ env: { ...process.env, QUARRY_OPS_ALLOW_DEV_SECRETS: 'true' } }));
  const hunt = loadHuntFile(config.hunt.file);
  const key = { alg: 'HS256' as const, secret: config.gateway.tokenSecret };
  const failuresByStatus: Record<string, number> = {};
  const firstFailureDetails: Record<string, string> = {};
  const countFailure = (what: string, f: CallStatus) => {
    const name = `${what} ${status[f.code] ?? f.code}`;
    failuresByStatus[name] = (failuresByStatus[name] ?? 0) + 1;
    firstFailureDetails[name] ??= f.details;
  };

  // Probes: fixes to the serving nodes, counted from the window's start.
  const probeChannels = o.servingTargets.map((t) => new H2Channel(t));
  const probes = await Promise.all(
    o.servingTargets.flatMap((_, s) =>
      Array.from({ length: PROBES_PER_TARGET }, async (_, k) => {
        const playerId = `${o.playerPrefix}probe${s}-${k}`;
        const token = await issuePlayerToken(key, { playerId, ttlMinutes: 60 });
        return { playerId, channel: probeChannels[s]!, seq: 0, walker: new Walker(hunt.beacons, 1000 + s * 10 + k, Date.now(), { ...DEFAULT_WALK_OPTIONS }), headers: callHeaders(HuntService.reportFix.path, `Bearer ${token}`, PROBE_DEADLINE_MS) };
      }),
    ),
  );
  let windowOpen = false;
  let probeTicks = 0;
  let unavailableTicks = 0;
  const probeTimer = setInterval(() => {
    if (!windowOpen) return;
    probeTicks++;
    let failed = false;
    for (const p of probes) {
      const now = Date.now();
      p.walker.advance(now);
      const readings = p.walker.readings();
      const fix: Fix = { playerId: p.playerId, clientSeq: ++p.seq, clientTimeMs: now, readings, gps: readings.length === 0 ? p.walker.gps() : undefined };
      p.channel.unary(p.headers, Fix.encode(fix).finish(), PROBE_DEADLINE_MS, (failure) => {
        if (failure === undefined) return;
        countFailure('probe', failure);
        if (!failed) unavailableTicks++;
        failed = true;
      });
    }
  }, PROBE_TICK_MS);

  // The activation watch: every node, locally, every poll.
  const watch = new ActivationWatch();
  const admins = o.targets.map((t) => ({ target: t, admin: adminClient(t, config.ops.operatorToken) }));
  let polling = true;
  const pollLoop = (async () => {
    while (polling) {
      const started = Date.now();
      const answers = await Promise.all(
        admins.map(({ admin }) =>
          admin.search('', '', 1000, { local: true, timeoutMs: ACTIVATION_POLL_TIMEOUT_MS }).then(
            (r) => r.actors.map((a): ActiveActor => ({ kind: a.kind, key: a.key, messagesHandled: Number(a.messagesHandled) })),
            () => undefined,
          ),
        ),
      );
      watch.poll(new Map(admins.map(({ target }, i) => [target, answers[i]])));
      await sleep(ACTIVATION_POLL_MS - (Date.now() - started));
    }
  })();

  let report;
  try {
    report = await runLoad({
      targets: o.targets.map((grpc) => ({ grpc })),
      beacons: hunt.beacons,
      tokenSecret: config.gateway.tokenSecret,
      players: o.players,
      fixIntervalMs: o.fixIntervalMs,
      durationS: o.durationS,
      rampUpS: o.rampUpS,
      playerPrefix: o.playerPrefix,
      seed: 7,
      workers: 1,
      progress: false,
      onWindowOpen: (atMs) => {
        windowOpen = true;
        send({ type: 'window', atMs });
      },
    });
  } finally {
    clearInterval(probeTimer);
    polling = false;
    await pollLoop;
    for (const { admin } of admins) admin.close();
  }
  for (const c of probeChannels) c.close();

  // The treasure lists, read back through any node, against the claims the acks reported.
  const readToken = await issuePlayerToken(key, { playerId: `${o.playerPrefix}reader`, ttlMinutes: 60 });
  const channels = o.targets.map((t) => new H2Channel(t));
  const treasures: TreasureState[] = [];
  let unreadTreasureLists = 0;
  for (const building of hunt.buildings) {
    const list = await readTreasureList(channels, readToken, building.id);
    if (list === undefined) unreadTreasureLists++;
    else treasures.push(...list.treasures.map((t) => ({ id: t.id, capacity: t.capacity, claimedBy: t.claimedBy })));
  }
  for (const c of channels) c.close();
  const claims = checkTreasures(treasures, report.ackedClaims);

  for (const [name, n] of Object.entries(report.fixesFailedByStatus)) failuresByStatus[`fix ${name}`] = n;
  for (const [name, n] of Object.entries(report.streamFailuresByStatus)) failuresByStatus[`stream ${name}`] = n;
  for (const [name, d] of Object.entries(report.firstFailureDetails)) firstFailureDetails[`fix ${name}`] = d;
  for (const [name, d] of Object.entries(report.firstStreamFailureDetails)) firstFailureDetails[`stream ${name}`] = d;
  return {
    lostAckedFixes: report.lostAckedFixes,
    ...claims,
    duplicateActivations: watch.duplicates.size,
    duplicateActivationKeys: [...watch.duplicates].slice(0, 10).map(([k, nodes]) => `${k}: ${nodes.join(',')}`),
    unreadTreasureLists,
    failuresByStatus,
    firstFailureDetails,
    fixesSent: report.fixesSent,
    fixesAcked: report.fixesAcked,
    unverifiedPlayers: report.unverifiedPlayers,
    ackedClaims: report.ackedClaims.length,
    unavailableMs: unavailableTicks * PROBE_TICK_MS,
    probeTicks,
  };
}

/** One building's list through the first node that answers, trying the nodes in turn until `TREASURE_READ_MS`. */
async function readTreasureList(channels: H2Channel[], token: string, buildingId: string): Promise<TreasureList | undefined> {
  const headers = callHeaders(HuntService.getTreasureList.path, `Bearer ${token}`, TREASURE_CALL_MS);
  const until = Date.now() + TREASURE_READ_MS;
  for (let i = 0; Date.now() < until; i++) {
    const list = await new Promise<TreasureList | undefined>((resolve) =>
      channels[i % channels.length]!.unary(headers, TreasureListRequest.encode({ buildingId }).finish(), TREASURE_CALL_MS, (failure, reply) =>
        resolve(failure === undefined ? TreasureList.decode(reply!) : undefined),
      ),
    );
    if (list !== undefined) return list;
    await sleep(200);
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

process.on('disconnect', () => process.exit(0));
process.on('message', (m: ToAgent) => {
  if (m.type !== 'run') return;
  run(m.options).then(
    (report) => send({ type: 'done', report }),
    (err: Error) => send({ type: 'failed', message: err.stack ?? err.message }),
  );
});
