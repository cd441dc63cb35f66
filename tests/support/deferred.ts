// A promise with its resolve function outside it, for tests that hold one
// piece of work at a chosen point while another runs (Promise.withResolvers
// needs Node 22).
export interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
