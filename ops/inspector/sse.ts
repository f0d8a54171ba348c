import type { ServerResponse } from 'node:http';

/**
 * A server-sent-events stream that sends a snapshot whenever it differs from the last one sent. `poll` fetches the
 * snapshot; it runs on `nudge()` (a local change) and every `pollIntervalMs` (changes on other nodes have no hook).
 */
export function startSnapshotStream(res: ServerResponse, poll: () => Promise<unknown>, pollIntervalMs: number): { nudge(): void; stop(): void } {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.flushHeaders();
  let last = '';
  let running = false;
  let again = false;
  let stopped = false;
  const run = async (): Promise<void> => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      let text: string;
      try {
        text = JSON.stringify({ ok: true, data: await poll() });
      } catch (err) {
        text = JSON.stringify({ ok: false, error: err instanceof Error ? err.message : String(err) });
      }
      if (!stopped && text !== last) {
        last = text;
        res.write(`data: ${text}\n\n`);
      }
    } finally {
      running = false;
      if (again) {
        again = false;
        void run();
      }
    }
  };
  const timer = setInterval(() => void run(), pollIntervalMs);
  void run();
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  res.on('close', stop);
  return { nudge: () => void run(), stop };
}
