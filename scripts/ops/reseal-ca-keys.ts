// Operator command: re-seal every project's CA key under the newest CA
// master key, or show which master keys the stored CA keys need.
//
//   NEBULA_CA_MASTER_KEYS="<new>,<old>" npm run -s reseal-ca-keys -- --db-url "$DB_URL"
//   NEBULA_CA_MASTER_KEYS="<new>,<old>" npm run -s reseal-ca-keys -- --db-url "$DB_URL" --status
//
// A script of the repository, not a `vidsync` CLI command: the CLI ships to
// desktop users and speaks to the function over HTTP with a user's token;
// this needs the database URL (as `postgres`) and the master keys, which
// only the operator who deploys holds, from the checkout they deploy from.
// The keys come from the environment (never the command line, which other
// local users can read in the process list); the DB URL from --db-url or
// DATABASE_URL. Idempotent and resumable: see reseal.ts.
import postgres from 'postgres';
import { postgresTlsFor } from '../../supabase/functions/nebula/settings.ts';
import { importMasterKeys } from '../../supabase/functions/_shared/secrets/index.ts';
import { isVidsyncError } from '../../supabase/functions/_shared/errors.ts';
import { resealCaKeys, sealedKeyCounts } from './reseal.ts';

const USAGE = `Usage: reseal-ca-keys --db-url URL [--status] [--batch N]
Required:
  --db-url URL   the database as postgres (or DATABASE_URL); the direct connection or the session pooler
  NEBULA_CA_MASTER_KEYS (env)  the master keys, newest first, comma-separated (or NEBULA_CA_MASTER_KEY)
Optional:
  --status       only print how many CA keys each master key id seals
  --batch N      rows read per query (default 100)`;

export async function main(args: readonly string[], env: NodeJS.ProcessEnv, out: (line: string) => void, errOut: (line: string) => void): Promise<number> {
  let dbUrl = env.DATABASE_URL;
  let statusOnly = false;
  let batchSize = 100;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--db-url') dbUrl = args[++i];
    else if (arg === '--status') statusOnly = true;
    else if (arg === '--batch') batchSize = Number(args[++i]);
    else if (arg === '-h' || arg === '--help') {
      out(USAGE);
      return 0;
    } else {
      errOut(`unknown argument: ${arg}\n${USAGE}`);
      return 2;
    }
  }
  if (!dbUrl) {
    errOut(`missing --db-url (or DATABASE_URL)\n${USAGE}`);
    return 2;
  }
  let ssl: 'require' | undefined;
  try {
    ssl = postgresTlsFor(dbUrl);
  } catch {
    errOut(`--db-url is not a URL\n${USAGE}`);
    return 2;
  }
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    errOut('--batch must be a positive integer');
    return 2;
  }
  const secrets = (env.NEBULA_CA_MASTER_KEYS ?? env.NEBULA_CA_MASTER_KEY ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  let keyring;
  try {
    keyring = await importMasterKeys(secrets);
  } catch (error) {
    errOut(`NEBULA_CA_MASTER_KEYS: ${isVidsyncError(error) ? error.message : String(error)}`);
    return 2;
  }
  out(`master keys: ${keyring.keys.map((k, i) => `${k.id}${i === 0 ? ' (newest, seals)' : ''}`).join(', ')}`);

  // No prepared statements: the URL may be Supavisor's transaction mode (port 6543), which keeps none.
  // TLS as the function has it: required for every host that is not this machine.
  const sql = postgres(dbUrl, { max: 1, prepare: false, ssl, onnotice: () => {} });
  try {
    if (!statusOnly) {
      const report = await resealCaKeys(sql, keyring, {
        batchSize,
        onRow: (row) => {
          if (row.outcome !== 'resealed') out(`  ${row.fingerprint.slice(0, 16)}… (project ${row.projectId}, key ${row.from ?? 'v1'}): ${row.outcome}`);
        },
      });
      out(`re-sealed ${report.resealed}, changed meanwhile ${report.skipped}, not openable ${report.failed.length}, left under older keys ${report.remaining}`);
      for (const f of report.failed) errOut(`cannot open the CA key of project ${f.projectId}: ${f.message}`);
    }
    const counts = await sealedKeyCounts(sql);
    out(`CA keys per master key: ${Object.entries(counts).map(([id, n]) => `${id} ${n}${id === keyring.sealing.id ? ' (newest)' : ''}`).join(', ') || 'none'}`);
    const older = Object.entries(counts).filter(([id]) => id !== keyring.sealing.id).reduce((sum, [, n]) => sum + n, 0);
    out(older === 0 ? 'every CA key is sealed under the newest key: older keys may be retired' : `${older} CA key(s) still need an older key: do not retire it yet`);
    return older === 0 ? 0 : 1;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    process.exitCode = await main(process.argv.slice(2), process.env, (l) => console.log(l), (l) => console.error(l));
  } catch (error) {
    // The database unreachable, a wrong password: one line, not a stack.
    console.error(`reseal-ca-keys: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
