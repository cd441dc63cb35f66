// The function's settings (supabase/functions/nebula/settings.ts): prepared
// statements on the direct connection, never behind Supavisor's
// transaction-mode port, and an explicit override either way; the pooler URL
// first; a small pool; TLS to every remote database; the master keys; the
// secret API keys.
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
    expect(isVidsyncError(error, 'not_configured')).toBe(true);
  });
});

const codeOfSettings = (extra: Record<string, string | undefined>): string | undefined => {
  try {
    loadSettings((name) => (name in extra ? extra[name] : base[name]));
    return undefined;
  } catch (e) {
    return isVidsyncError(e) ? e.code : 'thrown';
  }
};

describe('the database connection', () => {
  it('reads NEBULA_DB_URL (the transaction pooler) before SUPABASE_DB_URL, with prepared statements off there', () => {
    const pooler = 'postgres://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres';
    const s = settingsWith({ NEBULA_DB_URL: pooler });
    expect(s.dbUrl).toBe(pooler);
    expect(s.dbUrlSource).toBe('NEBULA_DB_URL');
    expect(s.dbPreparedStatements).toBe(false);
    expect(settingsWith({}).dbUrlSource).toBe('SUPABASE_DB_URL');
    expect(codeOfSettings({ SUPABASE_DB_URL: undefined })).toBe('not_configured');
    expect(codeOfSettings({ SUPABASE_DB_URL: undefined, NEBULA_DB_URL: pooler })).toBeUndefined();
  });

  it('keeps a small pool (3) that lets idle connections go after 20 s', () => {
    expect(settingsWith({}).dbPoolSize).toBe(3);
    expect(settingsWith({}).dbIdleTimeoutSeconds).toBe(20);
    expect(settingsWith({ NEBULA_DB_POOL_SIZE: '2' }).dbPoolSize).toBe(2);
  });

  it('requires TLS for every host but this machine, and keeps a stronger sslmode', () => {
    expect(settingsWith({}).dbSsl).toBe('require');
    expect(settingsWith({ SUPABASE_DB_URL: 'postgres://u:pw@db.example.co:5432/postgres?sslmode=disable' }).dbSsl).toBe('require');
    expect(settingsWith({ SUPABASE_DB_URL: 'postgres://u:pw@db.example.co:5432/postgres?sslmode=verify-full' }).dbSsl).toBeUndefined();
    expect(settingsWith({ SUPABASE_DB_URL: 'postgres://u:pw@db.example.co:5432/postgres?sslrootcert=system' }).dbSsl).toBeUndefined();
    expect(settingsWith({ SUPABASE_DB_URL: 'postgres://u:pw@127.0.0.1:54322/postgres' }).dbSsl).toBeUndefined();
    expect(settingsWith({ SUPABASE_DB_URL: 'postgres://u:pw@localhost:54322/postgres' }).dbSsl).toBeUndefined();
    expect(codeOfSettings({ SUPABASE_DB_URL: 'not a url' })).toBe('not_configured');
  });
});

describe('secrets', () => {
  it('takes NEBULA_CA_MASTER_KEYS (newest first) or NEBULA_CA_MASTER_KEY, not both', () => {
    expect(settingsWith({}).caMasterKeys).toEqual([base.NEBULA_CA_MASTER_KEY]);
    const keys = loadSettings((name) => ({ ...base, NEBULA_CA_MASTER_KEY: undefined, NEBULA_CA_MASTER_KEYS: ' new= , old= ' })[name]).caMasterKeys;
    expect(keys).toEqual(['new=', 'old=']);
    expect(codeOfSettings({ NEBULA_CA_MASTER_KEYS: 'x=' })).toBe('not_configured');
    expect(codeOfSettings({ NEBULA_CA_MASTER_KEY: undefined })).toBe('not_configured');
    expect(codeOfSettings({ NEBULA_CA_MASTER_KEY: undefined, NEBULA_CA_MASTER_KEYS: ' , ' })).toBe('not_configured');
  });

  it('reads SUPABASE_SECRET_KEYS as a JSON map of names to keys', () => {
    expect(settingsWith({}).secretKeys).toEqual([]);
    expect(settingsWith({ SUPABASE_SECRET_KEYS: '{"default":"sb_secret_0123456789abcdef"}' }).secretKeys).toEqual(['sb_secret_0123456789abcdef']);
    expect(codeOfSettings({ SUPABASE_SECRET_KEYS: 'sb_secret_0123456789abcdef' })).toBe('not_configured');
    expect(codeOfSettings({ SUPABASE_SECRET_KEYS: '{"default":42}' })).toBe('not_configured');
  });

  it('refuses anonymous users unless NEBULA_ALLOW_ANONYMOUS_USERS is true', () => {
    expect(settingsWith({}).allowAnonymousUsers).toBe(false);
    expect(settingsWith({ NEBULA_ALLOW_ANONYMOUS_USERS: 'true' }).allowAnonymousUsers).toBe(true);
    expect(codeOfSettings({ NEBULA_ALLOW_ANONYMOUS_USERS: 'yes' })).toBe('not_configured');
  });
});
