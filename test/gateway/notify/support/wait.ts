/** Polls `done` until true; on timeout throws naming the phase, what was expected and what was seen. */
export async function waitFor(done: () => boolean, what: { phase: string; expected: string; seen: () => string }, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what.phase}: timed out after ${timeoutMs} ms waiting for ${what.expected}; saw ${what.seen()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
