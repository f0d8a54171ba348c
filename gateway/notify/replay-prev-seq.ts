/**
 * `prevSeq` of the first event a replay after `afterSeq` returns, whose stored predecessor JetStream does not
 * tell. Pure; table-tested. `afterSeq` when nothing can lie between (adjacent seqs, or the cursor's own message
 * still stored: retention drops a subject's oldest first). Otherwise events in between may have been dropped
 * by retention; `firstSeq - 1` is beyond the cursor, which is how a client learns of the loss (the in-process
 * notifier reports the exact predecessor). Cursor 0 asks for whatever is retained: 0.
 */
export function replayPrevSeq(afterSeq: number, firstSeq: number, cursorStored: boolean): number {
  if (afterSeq === 0 || firstSeq === afterSeq + 1 || cursorStored) return afterSeq;
  return firstSeq - 1;
}
