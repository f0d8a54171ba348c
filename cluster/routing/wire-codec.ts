import { Packr } from 'msgpackr';
import type { Codec, KindDef } from '../../actors/runtime/port.js';
import { WireCodecError } from './errors.js';

/**
 * Messages and replies crossing nodes use the kind's `messageCodec`/`replyCodec` (protobuf for the game's kinds).
 * A kind without one falls back to msgpack (msgpackr, already a dependency of lmdb): plain data, Date and typed
 * arrays survive; a Map arrives as a plain object and class instances as plain objects, so a kind whose messages
 * hold those should declare a codec. Records are off so no node needs another's
 * structure table.
 */
const packr = new Packr({ useRecords: false, moreTypes: true });

export const MSGPACK: Codec<unknown> = {
  encode: (value) => packr.pack(value),
  decode: (bytes) => packr.unpack(bytes as Buffer),
};

export interface KindCodecs {
  readonly message: Codec<unknown>;
  readonly reply: Codec<unknown>;
}

export function codecsOf(def: KindDef<any, any, any, any, any>): KindCodecs {
  return { message: (def.messageCodec as Codec<unknown> | undefined) ?? MSGPACK, reply: (def.replyCodec as Codec<unknown> | undefined) ?? MSGPACK };
}

export function encodeWith(codec: Codec<unknown>, kind: string, what: string, value: unknown): Uint8Array {
  try {
    // An empty payload stands for `undefined` only under msgpack; a protobuf default message is empty too.
    return codec === MSGPACK && value === undefined ? new Uint8Array(0) : codec.encode(value);
  } catch (cause) {
    throw new WireCodecError(kind, what, { cause });
  }
}

export function decodeWith(codec: Codec<unknown>, kind: string, what: string, bytes: Uint8Array): unknown {
  if (codec === MSGPACK && bytes.length === 0) return undefined;
  try {
    return codec.decode(bytes);
  } catch (cause) {
    throw new WireCodecError(kind, what, { cause });
  }
}
