import type { Codec, KindDef } from '../runtime/types.js';
import { beaconKind, type BeaconKind } from './beacon.js';
import { buildingKind, type BuildingKind } from './building.js';
import type { HuntDefinition } from './definition.js';
import { gameKind, type GameKind } from './game.js';
import { indexHunt, type HuntIndex } from './hunt-index.js';
import { aggregatorKind, shardKind, type AggregatorKind, type ShardKind } from './leaderboard.js';
import { resolveHuntOptions, type HuntOptions, type HuntOptionsInput } from './options.js';
import { playerKind, type PlayerKind } from './player.js';
import * as wire from './wire-codecs.js';

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
  const building = withCodecs(buildingKind(index), wire.buildingMessageCodec, wire.buildingReplyCodec);
  const beacon = withCodecs(beaconKind(index), wire.beaconMessageCodec, wire.beaconReplyCodec);
  const shard = withCodecs(shardKind(options.leaderboardMaxTopN), wire.shardMessageCodec, wire.shardReplyCodec);
  const aggregator = withCodecs(aggregatorKind(shard, options.leaderboardShards, options.leaderboardMaxTopN), wire.aggregatorMessageCodec, wire.aggregatorReplyCodec);
  const game = withCodecs(gameKind(), wire.gameMessageCodec, wire.gameReplyCodec);
  const player = withCodecs(playerKind({ index, options, beacon, building, shard, game }), wire.playerMessageCodec, wire.playerReplyCodec);
  return { index, options, player, beacon, building, shard, aggregator, game, all: [player, beacon, building, shard, aggregator, game] };
}

/**
 * Messages crossing nodes are protobuf (proto/actors.proto, wire-codecs.ts), typed and versionable, instead of the
 * router's msgpack fallback. Attached here so the kind files stay about behaviour.
 */
function withCodecs<S, M, R, E, X>(def: KindDef<S, M, R, E, X>, messageCodec: Codec<M>, replyCodec: Codec<R>): KindDef<S, M, R, E, X> {
  return { ...def, messageCodec, replyCodec };
}
