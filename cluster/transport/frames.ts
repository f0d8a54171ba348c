/**
 * Wire framing of a link. Each envelope or reply is encoded once, when it is queued, as a one-item `Batch`;
 * protobuf appends repeated fields on concatenation, so a batch on the wire is just those items back to back.
 * That gives exact byte counts for the queue bounds and metrics, and the caller may reuse its payload buffer
 * as soon as `send` returns.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { Batch, type Envelope, type Reply } from '../../proto/gen/cluster.js';

/**
 * A writer kept by its owner (one per link) and reused: a fresh BinaryWriter grows its buffer from 128 bytes
 * on every message, which measured as a fifth of the CPU of a remote ask. `finish()` copies out and resets.
 */
export function frameWriter(): BinaryWriter {
  return new BinaryWriter();
}

export function envelopeFrame(envelope: Envelope, writer: BinaryWriter = new BinaryWriter()): Uint8Array {
  return Batch.encode({ envelopes: [envelope], replies: [] }, writer).finish();
}

export function replyFrame(reply: Reply, writer: BinaryWriter = new BinaryWriter()): Uint8Array {
  return Batch.encode({ envelopes: [], replies: [reply] }, writer).finish();
}

export function joinFrames(frames: readonly Uint8Array[], totalBytes: number): Buffer {
  return Buffer.concat(frames, totalBytes);
}

export function decodeBatch(bytes: Uint8Array): Batch {
  return Batch.decode(bytes);
}

/** First-in first-out queue with O(1) shift (an array with a moving head, compacted now and then). */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    (this.items as (T | undefined)[])[this.head] = undefined;
    this.head++;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): T[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }
}
