// How routes open their one transaction, where many read the same: on the
// device the path names (as the caller may see it), on a project's list the
// SQL filters, or for a change that leaves its audit row in the same commit.
import { DeviceParams, jsonResponse, ProjectParams, validate } from '../../_shared/http/index.ts';
import type { AuditFacts } from '../audit.ts';
import type { RequestContext } from '../context.ts';
import { endWith, inTransaction, visibleDevice } from '../store/index.ts';
import type { Device, Tx } from '../store/index.ts';
import { requireSignedIn } from './guards.ts';

/** A device-scoped route (`/…/:deviceId`): `work` gets the device, or the caller gets 404 where RLS hides it. */
export function inDeviceScope<T>(ctx: RequestContext, work: (tx: Tx, device: Device) => Promise<T>): Promise<T> {
  requireSignedIn(ctx.caller);
  const { deviceId } = validate(DeviceParams, ctx.params);
  return inTransaction(ctx.sql, ctx.caller, async (tx) => work(tx, await visibleDevice(tx, deviceId)));
}

/** GET /projects/:projectId/<key>: `{ [key]: rows }`, the rows as the SQL lets the caller read them. */
export async function projectList(ctx: RequestContext, key: string, read: (tx: Tx, projectId: string) => Promise<readonly unknown[]>): Promise<Response> {
  requireSignedIn(ctx.caller);
  const { projectId } = validate(ProjectParams, ctx.params);
  const rows = await inTransaction(ctx.sql, ctx.caller, (tx) => read(tx, projectId));
  return jsonResponse({ [key]: rows });
}

/** A change and its audit row (`facts`, answered with `httpStatus`), committed together or not at all. */
export function inAuditedTransaction<T>(ctx: RequestContext, facts: AuditFacts, work: (tx: Tx) => Promise<T>, httpStatus?: number): Promise<T> {
  return inTransaction(ctx.sql, ctx.caller, async (tx) => {
    const result = await work(tx);
    // The transaction's last write: COMMIT goes out right behind it.
    endWith(tx, ctx.audit.record(tx, facts, httpStatus));
    return result;
  });
}
