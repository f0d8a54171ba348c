import type { KindDef } from '../runtime/types.js';
import { beaconKind, type BeaconKind } from './beacon.js';
import { buildingKind, type BuildingKind } from './building.js';
import type { HuntDefinition } from './definition.js';
import { gameKind, type GameKind } from './game.js';
import { indexHunt, type HuntIndex } from './hunt-index.js';
import { aggregatorKind, shardKind, type AggregatorKind, type ShardKind } from './leaderboard.js';
import { resolveHuntOptions, type HuntOptions, type HuntOptionsInput } from './options.js';
import { playerKind, type PlayerKind } from './player.js';

/** Every actor kind of one hunt, built for one host (kinds close over the hunt, never over module globals). */
export interface HuntKinds {
  readonly index: HuntIndex;
  readonly options: HuntOptions;
  readonly player: PlayerKind;
  readonly beacon: BeaconKind;
  readonly building: BuildingKind;
  readonly shard: ShardKind;
  readonly aggregator: AggregatorKind;
  readonly game: GameKind;
  /** For the host's `kinds` option. */
  readonly all: ReadonlyArray<KindDef<any, any, any, any, any>>;
}

export function huntKinds(hunt: HuntDefinition, input: HuntOptionsInput = {}): HuntKinds {
  const options = resolveHuntOptions(input);
  const index = indexHunt(hunt);
  const building = buildingKind(index);
  const beacon = beaconKind(index);
  const shard = shardKind(options.leaderboardMaxTopN);
  const aggregator = aggregatorKind(shard, options.leaderboardShards, options.leaderboardMaxTopN);
  const game = gameKind();
  const player = playerKind({ index, options, beacon, building, shard, game });
  return { index, options, player, beacon, building, shard, aggregator, game, all: [player, beacon, building, shard, aggregator, game] };
}
