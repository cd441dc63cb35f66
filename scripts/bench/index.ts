// `npm run bench`: every benchmark, each printing its figures next to a
// reference measured in the same run. `npm run bench -- cert api` runs some.
// The overlay throughput benchmark needs root and namespaces: `npm run bench:e2e`.
export {};

const BENCHMARKS: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  cert: () => import('./cert.ts'),
  allocator: () => import('./allocator.ts'),
  api: () => import('./api.ts'),
  tenants: () => import('./tenants.ts'),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')} (known: ${Object.keys(BENCHMARKS).join(', ')})`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHMARKS)) {
  console.log(`\n=== ${name}`);
  const { run } = await BENCHMARKS[name]!();
  await run();
}
