// The README's promise for the audit log: a success's row is written in the
// request's transaction, so it exists exactly when the action does. Checked
// for the routes that change one device row, by the transaction ids that
// wrote the rows (xmin). Written in the same transaction, the audit row (the
// last write) carries the transaction's id, and the device row that id or a
// later one (a subtransaction's: PL/pgSQL's EXCEPTION blocks open one).
// Written after the change, in a transaction of its own, the audit row's id
// is later than the device row's.
import { describe, expect, it } from 'vitest';
import { useApi } from '../support/api.ts';
import { DOCS_EXAMPLE_ID } from '../support/syncthing-ids.ts';
import { callWith, createOwnedProject, registerSigningDevice } from './helpers.ts';

const api = useApi();

/** The transaction that last wrote the device row, and those that wrote `action`'s ok rows for it, oldest first. */
async function writers(deviceId: string, action: string): Promise<{ device: string; audit: string[] }> {
  const [device] = await api.sql<{ xid: string }[]>`select xmin::text as xid from vidsync.devices where id = ${deviceId}`;
  const audit = await api.sql<{ xid: string }[]>`
    select xmin::text as xid from vidsync.audit_log where device_id = ${deviceId} and action = ${action} and result = 'ok' order by id`;
  return { device: device!.xid, audit: audit.map((r) => r.xid) };
}

describe('a success\'s audit row is written by the transaction that made the change', () => {
  it.each([
    ['device.syncthing', 'PUT', (id: string) => `devices/${id}/syncthing`, { deviceId: DOCS_EXAMPLE_ID }],
    ['device.credential', 'POST', (id: string) => `credential/${id}`, { apiKey: null }],
    ['device.revoke', 'POST', (id: string) => `revoke/${id}`, undefined],
  ])('%s', async (action, method, path, body) => {
    const { token, projectId } = await createOwnedProject(api, `audit-tx-${action}`, `Audit ${action}`);
    const device = await registerSigningDevice(api, token, projectId);
    const answer = await callWith(api, token, method, path(device.id), body);
    expect(answer.status).toBe(200);
    const { device: changed, audit } = await writers(device.id, action);
    // The newest row of the action (registerSigningDevice set a credential before).
    expect(BigInt(audit.at(-1)!)).toBeLessThanOrEqual(BigInt(changed));
  });
});
