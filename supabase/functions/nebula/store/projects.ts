// Projects: creation (through the SQL API, which checks the caller and
// assigns the subnet) and lookup under RLS.
import { VidsyncError } from '../../_shared/errors.ts';
import type { Tx } from './transaction.ts';

export interface Project {
  readonly id: string;
  readonly name: string;
  /** The overlay subnet, e.g. 10.99.3.0/24. */
  readonly subnet: string;
  readonly ownerId: string;
}

/** Creates a project owned by the caller, with `subnet` or the next free block; populates its pool. */
export async function createProject(tx: Tx, name: string, subnet: string | null): Promise<Project> {
  const [row] = await tx<{ id: string; name: string; subnet: string; owner_id: string }[]>`
    select id, name, subnet::text as subnet, owner_id from vidsync_api.create_project(${name}, ${subnet}::cidr)`;
  return { id: row!.id, name: row!.name, subnet: row!.subnet, ownerId: row!.owner_id };
}

/** Found only if RLS lets the caller see it: non-members get 404, not a hint that it exists. */
export async function visibleProject(tx: Tx, projectId: string): Promise<Project> {
  const [row] = await tx<{ id: string; name: string; subnet: string; owner_id: string }[]>`
    select id, name, subnet::text as subnet, owner_id from vidsync.projects where id = ${projectId}`;
  if (!row) throw new VidsyncError('not_found', `no project ${projectId}`);
  return { id: row.id, name: row.name, subnet: row.subnet, ownerId: row.owner_id };
}
