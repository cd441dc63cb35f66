// The function's pool replaces itself when a connection is gone
// (supabase/functions/nebula/db.ts): which errors say so, and that the
// replacement happens once per broken pool and leaves later callers on the new one.
import { describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { isConnectionLoss, isWriteAfterClose, lossReporterOf, openPool } from '../../supabase/functions/nebula/db.ts';

describe('the function\'s database pool', () => {
  it('tells a lost connection from a refused statement', () => {
    for (const code of ['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED', 'CONNECT_TIMEOUT', '08006', '08P01', '57P01', '57P02', '57P03']) {
      expect({ code, lost: isConnectionLoss({ code }) }).toEqual({ code, lost: true });
    }
    expect(isConnectionLoss({ code: '25P03', severity: 'FATAL' })).toBe(true);
    for (const code of ['VS003', '23505', '40001', '22021', '57014', 'UNDEFINED_VALUE']) {
      expect({ code, lost: isConnectionLoss({ code, severity: 'ERROR' }) }).toEqual({ code, lost: false });
    }
    expect(isConnectionLoss(new Error('x'))).toBe(false);
    expect(isConnectionLoss(null)).toBe(false);
  });

  it("recognizes postgres.js's write to a closed connection, and nothing else", () => {
    const driver = new TypeError("Cannot read properties of null (reading 'write')");
    driver.stack = `${driver.message}\n    at Immediate.nextWrite (file:///x/node_modules/postgres/src/connection.js:255:22)`;
    expect(isWriteAfterClose(driver)).toBe(true);
    const ours = new TypeError("Cannot read properties of null (reading 'write')");
    ours.stack = `${ours.message}\n    at writeBundle (file:///x/bundle.ts:1:1)`;
    expect(isWriteAfterClose(ours)).toBe(false);
    expect(isWriteAfterClose(new Error('nextWrite'))).toBe(false);
  });

  it('replaces the pool when a transaction reports its connection gone, once, and a stale report leaves the new pool alone', async () => {
    const opened: { ended: boolean }[] = [];
    const open = () => {
      const state = { ended: false };
      opened.push(state);
      const pool = Object.assign(() => 'query', { end: () => ((state.ended = true), Promise.resolve()) });
      return pool as unknown as Sql;
    };
    const logged: string[] = [];
    const sql = openPool(open, { error: (m) => logged.push(m) });
    // What store/transaction.ts takes before reserving a connection; it calls it only when that connection is gone.
    const first = lossReporterOf(sql);
    const second = lossReporterOf(sql);
    expect(opened).toHaveLength(1);

    first();
    expect(opened).toHaveLength(2);
    expect(opened[0]!.ended).toBe(true);
    expect(logged).toHaveLength(1);
    // Another transaction of the old pool reports too: the new pool stays.
    second();
    expect(opened).toHaveLength(2);
    expect(logged).toHaveLength(1);
    // Later callers are on the new pool; a plain pool has nothing to replace.
    expect((sql as unknown as () => string)()).toBe('query');
    expect(() => lossReporterOf((() => 'query') as unknown as Sql)()).not.toThrow();
  });
});
