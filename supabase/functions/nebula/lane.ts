// A lane: work that runs one at a time per function instance, the rest
// waiting in memory. For callers tenants.ts cannot tell apart before the
// database has spoken (an enrollment's anonymous caller, a device signature
// not yet verified): anyone may send those, with any id, so each kind has
// one lane per instance (device-auth.ts, routes/enroll.ts) and a flood of
// one kind holds one connection of the pool, never every one, nor holds up
// the other kind.
export class Lane {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` once the work queued before it has settled; its result or error is the caller's. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.#tail.then(work, work);
    this.#tail = turn.catch(() => undefined);
    return turn;
  }
}
