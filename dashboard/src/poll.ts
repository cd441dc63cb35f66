// Polls every few seconds, one request at a time (the next starts only after
// the last answered), and stops for good when its view goes away. The views
// send the last ETag, so an unchanged answer is a bodiless 304.
export const POLL_INTERVAL_MS = 5_000;

export class Poller {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(
    private readonly tick: () => Promise<void>,
    private readonly everyMs = POLL_INTERVAL_MS,
  ) {}

  start(): this {
    const run = async () => {
      if (this.#stopped) return;
      try {
        // A tab nobody looks at asks nothing; it catches up at the next tick after it is shown again.
        if (!document.hidden) await this.tick();
      } finally {
        if (!this.#stopped) this.#timer = setTimeout(run, this.everyMs);
      }
    };
    void run();
    return this;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
