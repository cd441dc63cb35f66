// The audit log as stored (vidsync.audit_log, append-only): one row per
// mutating action and per refusal. Written through vidsync_api.append_audit,
// read through public.project_audit_log (owners and admins; it checks).
import type { Tx } from './transaction.ts';

export type AuditActorKind = 'user' | 'device' | 'service' | 'anonymous';

export interface AuditRecord {
  readonly action: string;
  /** 'ok', or the error code the caller got. */
  readonly result: string;
  readonly httpStatus: number;
  readonly actorKind: AuditActorKind;
  readonly actorId: string | null;
  readonly projectId: string | null;
  readonly deviceId: string | null;
  readonly sourceIp: string | null;
  readonly requestId: string;
}

export interface AuditEntry extends AuditRecord {
  /** The row's id (a bigint, as a string): the cursor for the next page. */
  readonly id: string;
  readonly at: Date;
}

/** Appends one row inside `tx`: the request's transaction, or a short one of its own for a refusal (its request rolled back). */
export async function appendAudit(tx: Tx, r: AuditRecord): Promise<void> {
  await tx`
    select vidsync_api.append_audit(${r.action}, ${r.result}, ${r.httpStatus}, ${r.actorKind}, ${r.actorId},
                                    ${r.projectId}, ${r.deviceId}, ${r.sourceIp}, ${r.requestId})`;
}

/** Narrows a page to one action and/or one device (null: any). */
export interface AuditFilter {
  readonly action: string | null;
  readonly deviceId: string | null;
}

/** A page of a project's log, newest first: rows with id < `before` (null: from the newest) that pass `filter`. Runs as the caller. */
export async function projectAuditLog(tx: Tx, projectId: string, before: string | null, limit: number, filter: AuditFilter): Promise<AuditEntry[]> {
  const rows = await tx<{
    id: string;
    at: Date;
    actor_kind: AuditActorKind;
    actor_id: string | null;
    action: string;
    project_id: string | null;
    device_id: string | null;
    result: string;
    http_status: number;
    source_ip: string | null;
    request_id: string;
  }[]>`select * from public.project_audit_log(${projectId}, ${before}::bigint, ${limit}, ${filter.action}, ${filter.deviceId}::uuid)`;
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    action: r.action,
    result: r.result,
    httpStatus: r.http_status,
    actorKind: r.actor_kind,
    actorId: r.actor_id,
    projectId: r.project_id,
    deviceId: r.device_id,
    sourceIp: r.source_ip,
    requestId: r.request_id,
  }));
}
