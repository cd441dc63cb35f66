// Shared steps of the API suites: projects, memberships and keys as a test
// needs them, each through the same paths the product uses.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, expect } from 'vitest';
import type { Sql } from 'postgres';
import type { SupabaseClient } from '@supabase/supabase-js';
import { createProject as createProjectWithSdk } from '../../client/src/index.ts';
import type { Project } from '../../client/src/index.ts';
import { bytesToBase64 } from '../../supabase/functions/_shared/base64.ts';
import { generateEd25519KeyPair, generateX25519KeyPair, x25519PublicKeyToPem } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import type { ApiHarness } from '../support/api.ts';
import type { LocalUser } from '../../scripts/local-functions/start.ts';

export const execFileAsync = promisify(execFile);

export type CreatedProject = Project;

/** Creates a project through the SDK, as the desktop app and the CLI do. */
export function createProject(client: SupabaseClient, name: string, subnet?: string): Promise<CreatedProject> {
  return createProjectWithSdk(client, { name, subnet });
}

/** Adds a member as the SQL editor would (the API has no membership routes yet). */
export async function addMember(sql: Sql, projectId: string, userId: string, role: 'admin' | 'member'): Promise<void> {
  await sql`insert into vidsync.project_members (project_id, user_id, role) values (${projectId}, ${userId}, ${role})`;
}

export async function newDeviceKey(): Promise<{ publicKeyPem: string; publicKey: Uint8Array }> {
  const pair = await generateX25519KeyPair();
  return { publicKey: pair.publicKey, publicKeyPem: x25519PublicKeyToPem(pair.publicKey) };
}

/**
 * Counts behind the API of everything one user's requests could have left,
 * to prove a refused request changed nothing. Scoped to the user because
 * other suites write to the same database at the same time.
 */
export async function footprintOf(sql: Sql, userId: string): Promise<Record<string, number>> {
  const [row] = await sql<Record<string, number>[]>`
    select (select count(*)::int from vidsync.devices where owner_id = ${userId}) as devices,
           (select count(*)::int from vidsync.ip_allocations where allocated_by = ${userId}) as allocations,
           (select count(*)::int from vidsync.ip_pool p join vidsync.devices d on d.id = p.device_id where d.owner_id = ${userId}) as pool_used,
           (select count(*)::int from vidsync.issued_certificates where issued_by = ${userId}) as certificates,
           (select count(*)::int from vidsync.projects where owner_id = ${userId}) as projects,
           (select count(*)::int from vidsync.project_cas where created_by = ${userId}) as cas`;
  return row!;
}

async function describe(error: unknown): Promise<string> {
  const context = (error as { context?: Response }).context;
  if (context) return `${context.status} ${await context.text()}`;
  return String(error);
}

/** Who calls in the authorization matrices. */
export type Actor = 'anon' | 'nonMember' | 'member' | 'admin' | 'owner' | 'service';
export const ACTORS: readonly Actor[] = ['anon', 'nonMember', 'member', 'admin', 'owner', 'service'];

/** A token per actor: the anon and service keys, and four fresh users named `${prefix}-…`. */
export async function actorTokens(api: ApiHarness, prefix: string): Promise<{ tokens: Record<Actor, string>; users: Record<'owner' | 'admin' | 'member' | 'nonMember', LocalUser> }> {
  const [owner, admin, member, nonMember] = await Promise.all(['owner', 'admin', 'member', 'outsider'].map((n) => api.user(`${prefix}-${n}`)));
  const users = { owner: owner!, admin: admin!, member: member!, nonMember: nonMember! };
  return {
    users,
    tokens: {
      anon: api.functions.anonKey,
      service: api.functions.serviceRoleKey,
      owner: users.owner.accessToken,
      admin: users.admin.accessToken,
      member: users.member.accessToken,
      nonMember: users.nonMember.accessToken,
    },
  };
}

export interface CallResult {
  status: number;
  code?: string;
  json: Record<string, unknown>;
  etag: string | null;
}

/** One raw request with a token: status, error code, JSON body and ETag. */
export async function callWith(api: ApiHarness, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<CallResult> {
  const res = await api.fetch(path, {
    method,
    token,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  return { status: res.status, code: (json.error as { code?: string } | undefined)?.code, json, etag: res.headers.get('etag') };
}

export type TeamUsers = Awaited<ReturnType<typeof actorTokens>>['users'];

export interface Team {
  users: TeamUsers;
  /** The team's tokens, and the anon and service keys. */
  tokens: Record<Actor, string>;
  projectId: string;
  subnet: string;
}

/**
 * Who calls in most API suites: an owner's project (created through the
 * SDK) with an admin and a member, an outsider who belongs to none, and the
 * anon and service keys. Users are named `${prefix}-owner` and so on.
 */
async function createTeam(api: ApiHarness, prefix: string, projectName: string, subnet?: string): Promise<Team> {
  const people = await actorTokens(api, prefix);
  return { ...people, ...(await createTeamProject(api, people, projectName, subnet)) };
}

/** Another project of the team's owner, with the team's admin and member in it. */
export async function createTeamProject(api: ApiHarness, team: Pick<Team, 'users' | 'tokens'>, projectName: string, subnet?: string): Promise<{ projectId: string; subnet: string }> {
  const project = await createProject(api.client(team.tokens.owner), projectName, subnet);
  await addMember(api.sql, project.projectId, team.users.admin.id, 'admin');
  await addMember(api.sql, project.projectId, team.users.member.id, 'member');
  return { projectId: project.projectId, subnet: project.subnet };
}

/** A fresh user and a project of theirs, for suites that act as one owner. */
export async function createOwnedProject(api: ApiHarness, userName: string, projectName: string, subnet?: string): Promise<{ owner: LocalUser; token: string; projectId: string; subnet: string }> {
  const owner = await api.user(userName);
  const project = await createProject(api.client(owner.accessToken), projectName, subnet);
  return { owner, token: owner.accessToken, projectId: project.projectId, subnet: project.subnet };
}

export interface SigningDevice {
  id: string;
  /** The private half of its API key, to sign its requests with. */
  privateKey: Uint8Array;
}

/**
 * A device registered by `token`'s user and given an Ed25519 API key of its
 * own (POST /credential/:id), as a headless device signs its requests.
 */
export async function registerSigningDevice(api: ApiHarness, token: string, projectId: string, deviceId: string = crypto.randomUUID(), deviceName = `nas ${deviceId.slice(0, 8)}`): Promise<SigningDevice> {
  const key = await newDeviceKey();
  const registered = await callWith(api, token, 'POST', 'register', { projectId, deviceId, deviceName, publicKey: key.publicKeyPem });
  expect(registered.status, 'register').toBe(200);
  const apiKey = await generateEd25519KeyPair();
  const credential = await callWith(api, token, 'POST', `credential/${deviceId}`, { apiKey: bytesToBase64(apiKey.publicKey) });
  expect(credential.status, 'credential').toBe(200);
  return { id: deviceId, privateKey: apiKey.privateKey };
}

/**
 * createTeam() for a whole suite: the team is made in beforeAll, and the
 * object returned holds it from then on (read it inside hooks and tests).
 */
export function useTeam(api: ApiHarness, prefix: string, projectName: string, subnet?: string): Team {
  const team = {} as Team;
  beforeAll(async () => {
    Object.assign(team, await createTeam(api, prefix, projectName, subnet));
  });
  return team;
}
