// Database helpers for tests: connections to the run's database (see
// global-setup.ts), a database of one's own, and acting as a user the way
// PostgREST and the edge function do (claims + SET LOCAL ROLE in a transaction).
import postgres from 'postgres';
import type { Sql, TransactionSql } from 'postgres';
import { afterAll, beforeAll, inject } from 'vitest';
import { deferred } from './deferred.ts';

export type ApiRole = 'anon' | 'authenticated' | 'service_role';
const API_ROLES: readonly ApiRole[] = ['anon', 'authenticated', 'service_role'];

/** A superuser connection to the run's shared database (or `url`). End it in afterAll. */
export function connect(url: string = inject('dbUrl'), options: { max?: number } = {}): Sql {
  return postgres(url, { max: options.max ?? 4, onnotice: () => {} });
}

export interface FreshDatabase {
  url: string;
  /** Superuser connection to it. */
  sql: Sql;
  /** Ends `sql` and drops the database. */
  drop(): Promise<void>;
}

let freshCount = 0;

/**
 * A new database, migrated, that no other suite touches: for tests that
 * depend on the whole pool or supernet (auto-assigned subnets, exhaustion).
 * A copy of the run's template, so it costs a file copy, not a migration.
 */
export async function freshDatabase(options: { max?: number } = {}): Promise<FreshDatabase> {
  const template = inject('dbTemplate');
  const name = `${template.replace(/_tpl$/, '')}_${process.pid}_${++freshCount}`;
  const admin = connect(inject('dbUrl'), { max: 1 });
  try {
    await admin.unsafe(`create database ${name} template ${template} strategy = file_copy`);
  } finally {
    await admin.end();
  }
  const url = new URL(inject('dbUrl'));
  url.pathname = `/${name}`;
  const sql = connect(url.toString(), options);
  return {
    url: url.toString(),
    sql,
    async drop() {
      await sql.end();
      const dropper = connect(inject('dbUrl'), { max: 1 });
      await dropper.unsafe(`drop database if exists ${name} with (force)`).finally(() => dropper.end());
    },
  };
}

/**
 * Runs `fn` in a transaction as `role` with `userId` as the JWT subject
 * (null: no subject), exactly as PostgREST does per request. The
 * transaction commits when `fn` resolves and rolls back when it throws.
 */
export async function asUser<T>(sql: Sql, userId: string | null, role: ApiRole, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  if (!API_ROLES.includes(role)) throw new Error(`not an API role: ${role}`);
  const claims = JSON.stringify(userId ? { sub: userId, role } : { role });
  const result = await sql.begin(async (tx) => {
    await tx`select set_config('request.jwt.claims', ${claims}, true)`;
    await tx.unsafe(`set local role ${role}`);
    return [await fn(tx)];
  });
  return result[0] as T;
}

/** Inserts a user into auth.users (as Supabase Auth would) and returns its id. */
export async function createUser(sql: Sql, email = `user-${crypto.randomUUID()}@example.com`): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into auth.users (id, aud, role, email) values (gen_random_uuid(), 'authenticated', 'authenticated', ${email})
    returning id`;
  return row!.id;
}

/** The SQLSTATE a promise rejects with, or 'ok' when it resolves. */
export async function sqlstateOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    throw e;
  }
}

/**
 * The usual opening of a database suite: a fresh database with one user (the
 * owner of what the suite creates), dropped after the suite. `setup` receives
 * both in beforeAll, and may prepare more before the tests run.
 */
export function freshDatabaseWithOwner(setup: (db: { sql: Sql; owner: string; url: string }) => void | Promise<void>, options: { max?: number } = {}): void {
  let db: FreshDatabase | undefined;
  beforeAll(async () => {
    db = await freshDatabase(options);
    await setup({ sql: db.sql, owner: await createUser(db.sql), url: db.url });
  });
  afterAll(async () => db?.drop());
}


/** Who acts in the SQL suites on members: user ids, and the project they share. */
export interface SqlTeam {
  owner: string;
  admin: string;
  member: string;
  /** In no project of the team. */
  stranger: string;
  project: string;
}

/** A project created by `owner` through the SQL API, with a new admin and member added by the owner, and a stranger. */
export async function createSqlTeam(sql: Sql, owner: string, projectName: string, subnet: string | null): Promise<SqlTeam> {
  const [admin, member, stranger] = await Promise.all([createUser(sql), createUser(sql), createUser(sql)]);
  const [p] = await asUser(sql, owner, 'authenticated', (tx) => tx<{ id: string }[]>`select id from vidsync_api.create_project(${projectName}, ${subnet}::cidr)`);
  const project = p!.id;
  await asUser(sql, owner, 'authenticated', async (tx) => {
    await tx`select vidsync_api.add_project_member(${project}, ${admin}, 'admin')`;
    await tx`select vidsync_api.add_project_member(${project}, ${member}, 'member')`;
  });
  return { owner, admin, member, stranger, project };
}

/**
 * freshDatabaseWithOwner() with a team (createSqlTeam): the object returned
 * holds the connection and the team from beforeAll on.
 */
export function freshDatabaseWithTeam(projectName: string, subnet: string | null, options: { max?: number } = {}): SqlTeam & { sql: Sql } {
  const team = {} as SqlTeam & { sql: Sql };
  freshDatabaseWithOwner(async (db) => {
    Object.assign(team, { sql: db.sql }, await createSqlTeam(db.sql, db.owner, projectName, subnet));
  }, options);
  return team;
}

class RolledBack extends Error {}

/**
 * Runs `during` while another transaction, having run `first`, stays open
 * with what it wrote and locked; afterwards that transaction commits, or
 * rolls back with `end: 'rollback'`. Returns what `during` returned.
 */
export async function whileHeldOpen<T>(sql: Sql, first: (tx: Sql) => Promise<unknown>, during: () => Promise<T>, end: 'commit' | 'rollback' = 'commit'): Promise<T> {
  const held = deferred();
  const finish = deferred();
  const open = sql
    .begin(async (tx) => {
      await first(tx as unknown as Sql);
      held.resolve();
      await finish.promise;
      if (end === 'rollback') throw new RolledBack();
    })
    .catch((e: unknown) => {
      if (!(e instanceof RolledBack)) throw e;
    });
  await Promise.race([held.promise, open]);
  try {
    return await during();
  } finally {
    finish.resolve();
    await open;
  }
}

/** Registers a device as `user` through the SQL API, as the function does; returns its id and address. */
export async function registerDeviceAs(sql: Sql, user: string, projectId: string, name?: string): Promise<{ id: string; ip: string }> {
  const id = crypto.randomUUID();
  const [row] = await asUser(sql, user, 'authenticated', (tx) => tx<{ ip: string }[]>`
    select host(ip) as ip from vidsync_api.register_device(${projectId}, ${id}, ${name ?? `dev ${id}`}, ${`key-${id}`})`);
  return { id, ip: row!.ip };
}
