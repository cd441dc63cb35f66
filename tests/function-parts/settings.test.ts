// The function's settings (supabase/functions/nebula/settings.ts): prepared
// statements on the direct connection, never behind Supavisor's
// transaction-mode port, and an explicit override either way.
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../supabase/functions/nebula/settings.ts';
import { isVidsyncError } from '../../supabase/functions/_shared/errors.ts';

const base: Record<string, string> = {
  SUPABASE_URL: 'http://127.0.0.1:54321',
  SUPABASE_DB_URL: 'postgres://postgres:pw@db.example.supabase.co:5432/postgres',
  NEBULA_CA_MASTER_KEY: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
};
const settingsWith = (extra: Record<string, string>) => loadSettings((name) => ({ ...base, ...extra })[name]);

describe('dbPreparedStatements', () => {
  it('is on for the direct connection and off for the transaction pooler (port 6543)', () => {
    expect(settingsWith({}).dbPreparedStatements).toBe(true);
    expect(settingsWith({ SUPABASE_DB_URL: 'postgres://u:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres' }).dbPreparedStatements).toBe(false);
  });

  it('NEBULA_DB_PREPARED_STATEMENTS overrides the guess; anything but true/false is a configuration error', () => {
    expect(settingsWith({ NEBULA_DB_PREPARED_STATEMENTS: 'false' }).dbPreparedStatements).toBe(false);
    expect(settingsWith({ SUPABASE_DB_URL: 'postgres://u:pw@pooler.example:6543/postgres', NEBULA_DB_PREPARED_STATEMENTS: 'true' }).dbPreparedStatements).toBe(true);
    let error: unknown;
    try {
      settingsWith({ NEBULA_DB_PREPARED_STATEMENTS: 'yes' });
    } catch (e) {
      error = e;
    }
    expect(isVidsyncError(error, 'internal')).toBe(true);
  });
});
