// The function's pool replaces itself when a connection is gone
// (supabase/functions/nebula/db.ts): which errors say so, and that the
// replacement happens once per broken pool and leaves later callers on the new one.
import { describe, expect, it } from 'vitest';
import type { Sql } from 'postgres';
import { isConnectionLoss, isWriteAfterClose, openPool } from '../../supabase/functions/nebula/db.ts';

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

  it('replaces the pool when a transaction fails because its connection is gone, once, and not for other failures', async () => {
    const opened: { ended: boolean; fail: unknown }[] = [];
    const open = () => {
      const state = { ended: false, fail: undefined as unknown };
      opened.push(state);
      const pool = Object.assign(() => 'query', {
        begin: () => (state.fail ? Promise.reject(state.fail) : Promise.resolve('committed')),
        end: () => ((state.ended = true), Promise.resolve()),
      });
      return pool as unknown as Sql;
    };
    const logged: string[] = [];
    const sql = openPool(open, { error: (m) => logged.push(m) });
    expect(await sql.begin(async () => 'x')).toBe('committed');

    opened[0]!.fail = Object.assign(new Error('refused'), { code: '23505' });
    await expect(sql.begin(async () => 'x')).rejects.toThrow('refused');
    expect(opened).toHaveLength(1);

    opened[0]!.fail = Object.assign(new Error('gone'), { code: 'CONNECTION_CLOSED' });
    await expect(sql.begin(async () => 'x')).rejects.toThrow('gone');
    expect(opened).toHaveLength(2);
    expect(opened[0]!.ended).toBe(true);
    expect(logged).toHaveLength(1);
    // Later callers are on the new pool.
    expect(await sql.begin(async () => 'x')).toBe('committed');
    expect((sql as unknown as () => string)()).toBe('query');
  });
});
