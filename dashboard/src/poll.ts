// Polls every few seconds, one request at a time (the next starts only after
// the last answered), and stops for good when its view goes away. The views
// send the last ETag, so an unchanged answer is a bodiless 304. After an
// action the view pokes it: the change shows at once, not at the next tick.
export const POLL_INTERVAL_MS = 5_000;

export class Poller {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #running = false;
  #again = false;

  constructor(
    private readonly tick: () => Promise<void>,
    private readonly everyMs = POLL_INTERVAL_MS,
  ) {}

  start(): this {
    void this.#run();
    return this;
  }

  /** Polls now (or right after the poll under way), then every interval again. */
  poke(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    void this.#run();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    this.#running = true;
    try {
      // A tab nobody looks at asks nothing; it catches up at the next tick after it is shown again.
      if (!document.hidden) await this.tick();
    } finally {
      this.#running = false;
      if (!this.#stopped) {
        const again = this.#again;
        this.#again = false;
        this.#timer = setTimeout(() => void this.#run(), again ? 0 : this.everyMs);
      }
    }
  }
}
