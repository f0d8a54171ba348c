/**
 * Wire <-> notifier mapping of the resume cursor (pure, table-tested). The edge calls
 * `cursorFromSubscribeRequest` before `Notifier.subscribe` and `eventEnvelope` for every event it streams.
 */
import type { ChannelCursor, SubscribeRequest } from '../../proto/gen/hunt.js';
import { isChannel, userChannel, type NotifyCursor, type NotifyEvent } from './notifier.js';

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

/**
 * `after_seq` is the personal channel's resume point; `cursors` list the others. Rejects a cursor for another
 * player's personal channel or a malformed channel, and a player id that cannot be a channel
 * (`InvalidChannelError`); the edge turns both into INVALID_ARGUMENT.
 */
export function cursorFromSubscribeRequest(request: Pick<SubscribeRequest, 'playerId' | 'afterSeq' | 'cursors'>): NotifyCursor {
  const personal = userChannel(request.playerId);
  const out: Record<string, number> = { [personal]: request.afterSeq };
  for (const { channel, afterSeq } of request.cursors) {
    if (!isChannel(channel)) throw new InvalidCursorError(`cursor channel "${channel}" is not all, user.<id> or building.<id>`);
    if (channel.startsWith('user.') && channel !== personal) throw new InvalidCursorError(`cursor channel "${channel}" belongs to another player`);
    if (channel === personal) continue;
    out[channel] = afterSeq;
  }
  return out;
}

/** The inverse, for tests and clients written in TypeScript. */
export function subscribeCursorFields(playerId: string, cursor: NotifyCursor): { afterSeq: number; cursors: ChannelCursor[] } {
  const personal = userChannel(playerId);
  return {
    afterSeq: cursor[personal] ?? 0,
    cursors: Object.entries(cursor)
      .filter(([channel]) => channel !== personal)
      .map(([channel, afterSeq]) => ({ channel, afterSeq })),
  };
}

/** The `Event` fields the notifier owns; the edge adds the `body` oneof from `event.body`. */
export function eventEnvelope(event: NotifyEvent): { seq: number; atMs: number; channel: string; prevSeq: number } {
  return { seq: event.seq, atMs: event.atMs, channel: event.channel, prevSeq: event.prevSeq };
}
