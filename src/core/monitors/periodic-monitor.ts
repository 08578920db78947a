/** A check that runs once per interval while started; its timer never keeps the process alive. */
export abstract class PeriodicMonitor {
  private timer: NodeJS.Timeout | undefined;

  protected constructor(private readonly intervalMs: number) {}

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round of the check. */
  abstract tick(): void;
}
