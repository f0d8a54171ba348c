import { crc32 } from 'node:zlib';
import { deserialize } from 'node:v8';
import { Packr, Unpackr } from 'msgpackr';
import { CorruptSnapshotError } from './errors.js';

/** What a snapshot holds besides the state itself. */
export interface SnapshotRecord<S = unknown> {
  readonly state: S;
  /** Journal sequence number the state includes (events with seq <= this are folded in). */
  readonly seq: number;
  readonly schemaVersion: number;
  /** Activations of this actor so far, for the inspector. */
  readonly activationCount: number;
}

const MAGIC = 0x51534e31; // "QSN1": format of the header below
/** magic u32 | schemaVersion u32 | seq f64 | activationCount f64 | crc32 u32 | state (`encodeValue`, or V8's format before it) */
export const SNAPSHOT_HEADER_BYTES = 28;

/**
 * Values (state, events, session parts, audit entries, outbox bodies) are msgpack (msgpackr), about 3x cheaper than
 * V8's structured clone, which builds a Serializer per value. Plain objects are records whose structure travels inside
 * each value (no table shared between values, nodes or restarts), so a msgpack map can mean a Map: Map, Set, Date,
 * BigInt, typed arrays, null and a key holding undefined all come back as they went in; -0 comes back as 0 and an
 * array's holes as undefined. The instances keep only scratch space between calls.
 */
const packr = new Packr({ moreTypes: true, mapsAsObjects: false });
/** Decoded byte arrays are copies: a value read from LMDB must not share the memory LMDB reuses. */
const unpackr = new Unpackr({ moreTypes: true, mapsAsObjects: false, copyBuffers: true });
/**
 * The first byte of every value written before msgpack (V8's format: 0xFF, its version, then the value). The only
 * msgpack value that starts with 0xFF is the one-byte -1, so a longer value starting with it is an old one.
 */
const V8_FORMAT_TAG = 0xff;

/** A view into the encoder's scratch buffer, which later calls never overwrite. */
export function encodeValue(value: unknown): Buffer {
  return packr.pack(value);
}

export function decodeValue(bytes: Uint8Array): unknown {
  return bytes[0] === V8_FORMAT_TAG && bytes.length > 1 ? deserialize(bytes) : unpackr.unpack(bytes);
}

export function encodeSnapshot(record: SnapshotRecord): Buffer {
  return frameSnapshot(record, encodeValue(record.state));
}

/** The snapshot header (magic, schema version, seq, activation count, checksum) around an encoded state. */
export function frameSnapshot(record: SnapshotRecord, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(SNAPSHOT_HEADER_BYTES + payload.length);
  out.writeUInt32BE(MAGIC, 0);
  out.writeUInt32BE(record.schemaVersion, 4);
  out.writeDoubleBE(record.seq, 8);
  out.writeDoubleBE(record.activationCount, 16);
  out.set(payload, SNAPSHOT_HEADER_BYTES);
  out.writeUInt32BE(snapshotChecksum(out), 24);
  return out;
}

/** The checksum covers the header fields and the payload, so a flipped seq is caught as well as a flipped state byte. */
export function snapshotChecksum(bytes: Uint8Array): number {
  const head = crc32(bytes.subarray(0, 24));
  return crc32(bytes.subarray(SNAPSHOT_HEADER_BYTES), head);
}

/** The seq in a snapshot's header without verifying or decoding it; undefined when the bytes are not a snapshot. */
export function snapshotSeqOf(bytes: Uint8Array): number | undefined {
  if (bytes.length < SNAPSHOT_HEADER_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(0) === MAGIC ? view.getFloat64(8) : undefined;
}

export function decodeSnapshot(bytes: Uint8Array, actorId: string): SnapshotRecord {
  if (bytes.length < SNAPSHOT_HEADER_BYTES) {
    throw new CorruptSnapshotError(actorId, `${bytes.length} bytes is shorter than the ${SNAPSHOT_HEADER_BYTES}-byte header`);
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = buf.readUInt32BE(0);
  if (magic !== MAGIC) throw new CorruptSnapshotError(actorId, `unknown format 0x${magic.toString(16)}`);
  const stored = buf.readUInt32BE(24);
  const actual = snapshotChecksum(buf);
  if (stored !== actual) {
    throw new CorruptSnapshotError(actorId, `checksum mismatch (stored ${stored}, computed ${actual})`);
  }
  let state: unknown;
  try {
    state = decodeValue(buf.subarray(SNAPSHOT_HEADER_BYTES));
  } catch (cause) {
    throw new CorruptSnapshotError(actorId, 'state does not decode', { cause });
  }
  return { state, schemaVersion: buf.readUInt32BE(4), seq: buf.readDoubleBE(8), activationCount: buf.readDoubleBE(16) };
}
