// Vitest globalSetup: one database server per `npm test` run, shared by every
// suite. Without DATABASE_URL it is a throwaway embedded Postgres (temp data
// dir, free port), so a run never collides with `npm run dev` or with a
// second test run; with DATABASE_URL the run's databases are created there.
//
// Provides (read with `inject(...)` from 'vitest'):
//   dbUrl       a migrated database created for this run, shared by suites;
//   dbTemplate  the migrated template it was copied from, for
//               `freshDatabase()` (tests/support/db.ts), which gives a suite
//               a database of its own.
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startLocalStack, withDatabase } from '../../scripts/local-stack/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dbUrl: string;
    dbTemplate: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = performance.now();
  const run = `vidsync_${Date.now().toString(36)}_${process.pid}`;
  const template = `${run}_tpl`;
  const verbose = process.env.VIDSYNC_STACK_LOG === '1';
  const stack = await startLocalStack({
    ephemeral: true,
    database: template,
    log: (line) => verbose && console.log(`[stack] ${line}`),
  });

  const admin = postgres(withDatabase(stack.dbUrl, 'postgres'), { max: 1, onnotice: () => {} });
  const shared = `${run}_shared`;
  await admin.unsafe(`create database ${shared} template ${template} strategy = file_copy`);
  project.provide('dbUrl', withDatabase(stack.dbUrl, shared));
  project.provide('dbTemplate', template);
  console.log(`[stack] ${stack.embedded ? 'embedded Postgres' : 'DATABASE_URL'} ready in ${Math.round(performance.now() - t0)} ms`);

  return async () => {
    if (!stack.embedded) {
      // An external server outlives us: drop what this run created.
      const mine = await admin<{ datname: string }[]>`select datname from pg_database where datname like ${`${run}%`}`;
      for (const { datname } of mine) await admin.unsafe(`drop database if exists ${datname} with (force)`);
    }
    await admin.end();
    await stack.stop();
  };
}
