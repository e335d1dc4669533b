/**
 * Commands in flight, counted per routing (a generation): a new stage epoch is acknowledged only once the commands
 * sent under the routing before it have finished.
 */
export class InFlight {
  private generation = 0;
  private running = 0;
  /** Commands still running under earlier generations, by generation. */
  private readonly earlier = new Map<number, number>();
  private waiters: Array<() => void> = [];

  /** A new routing: commands counted from now on belong to it. */
  next(): void {
    if (this.running > 0) this.earlier.set(this.generation, this.running);
    this.running = 0;
    this.generation++;
  }

  /** Counts one command; the returned function (called once or more) says it is done. */
  track(): () => void {
    const generation = this.generation;
    this.running++;
    let finished = false;
    return () => {
      if (finished) return;
      finished = true;
      if (generation === this.generation) {
        this.running--;
        if (this.running === 0 && this.waiters.length > 0) this.wake();
        return;
      }
      const left = (this.earlier.get(generation) ?? 1) - 1;
      if (left > 0) this.earlier.set(generation, left);
      else this.earlier.delete(generation);
      if (left <= 0) this.wake();
    };
  }

  /** Resolves once every command of an earlier generation has finished. */
  async drained(): Promise<void> {
    const generation = this.generation;
    const busy = () => [...this.earlier.keys()].some((g) => g < generation);
    while (busy()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once no command is in flight. */
  async settled(): Promise<void> {
    while (this.running > 0 || this.earlier.size > 0) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}
