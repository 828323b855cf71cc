/** Bytes per second over a sliding window, so the rate follows the link rather than its history. */
export class RateMeter {
  private readonly samples: { at: number; bytes: number }[] = [];

  constructor(
    private readonly windowMs = 3_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** `bytes` is a running total (the offset). */
  add(bytes: number): void {
    const at = this.now();
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && at - this.samples[0]!.at > this.windowMs) this.samples.shift();
  }

  /** Forget samples, e.g. across a retry pause, which would otherwise drag the rate down. */
  clear(): void {
    this.samples.length = 0;
  }

  bytesPerSecond(): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at <= first.at) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }
}
