import { status } from '@grpc/grpc-js';

/**
 * Finished player calls by method and gRPC status since the node started (`ReportFix` is "fixes by status" on
 * `/metrics`). Refusals at admission count too: they are answers a player sees.
 */
export class CallOutcomes {
  private readonly byMethod = new Map<string, number[]>();

  count(method: string, code: status): void {
    let codes = this.byMethod.get(method);
    if (codes === undefined) this.byMethod.set(method, (codes = []));
    codes[code] = (codes[code] ?? 0) + 1;
  }

  /** One row per method and status seen, the status by its name (`OK`, `UNAVAILABLE`, ...). */
  rows(): Array<{ method: string; status: string; calls: number }> {
    const out: Array<{ method: string; status: string; calls: number }> = [];
    for (const [method, codes] of this.byMethod) {
      codes.forEach((calls, code) => {
        if (calls !== undefined) out.push({ method, status: status[code] ?? String(code), calls });
      });
    }
    return out;
  }
}
