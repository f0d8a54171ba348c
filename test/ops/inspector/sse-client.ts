/** Reads a text/event-stream response with fetch (as the page does) and hands each event's data to a queue. */
export interface SseReader {
  /** Resolves with the first event (from now on, or already queued) that satisfies `match`, or fails naming `phase`. */
  next(match: (data: any) => boolean, phase: string, timeoutMs?: number): Promise<any>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string>): Promise<SseReader> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  if (res.status !== 200) throw new Error(`SSE ${url}: status ${res.status}`);
  const queue: any[] = [];
  let wake: (() => void) | undefined;
  void (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const data = buf.slice(0, i).split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          buf = buf.slice(i + 2);
          if (data) queue.push(JSON.parse(data));
          wake?.();
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    async next(match, phase, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = queue.findIndex(match);
        if (i >= 0) return queue.splice(0, i + 1)[i];
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${phase}: no matching event within ${timeoutMs} ms; saw ${JSON.stringify(queue).slice(0, 500)}`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, left);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
      }
    },
    close: () => abort.abort(),
  };
}
