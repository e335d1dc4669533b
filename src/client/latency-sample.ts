/** The last `size` measurements (ms), for percentiles that stay cheap and bounded however long the client runs. */
export class LatencySample {
  private readonly values: number[] = [];
  private next = 0;

  constructor(private readonly size = 10_000) {}

  add(ms: number): void {
    if (this.values.length < this.size) this.values.push(ms);
    else {
      this.values[this.next] = ms;
      this.next = (this.next + 1) % this.size;
    }
  }

  /** The p-th percentile (0–100) of the kept values; 0 when none. */
  percentile(p: number): number {
    if (this.values.length === 0) return 0;
    const sorted = [...this.values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  }
}
