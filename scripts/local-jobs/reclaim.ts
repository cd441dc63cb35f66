// The reclaim job for `npm run dev`, where there is no pg_cron: every
// interval (and once at start), vidsync_api.reclaim_unseen_devices() releases
// and revokes the devices nobody has seen for their project's reclaim_after,
// and each one it reclaimed is logged. On hosted Supabase pg_cron runs the
// same function (see the device lifecycle migration).
import postgres from 'postgres';

export interface ReclaimJob {
  stop(): Promise<void>;
}

export const RECLAIM_INTERVAL_MS = 60 * 60 * 1000;

export function startReclaimJob(options: { dbUrl: string; log: (line: string) => void; intervalMs?: number }): ReclaimJob {
  const sql = postgres(options.dbUrl, { max: 1, onnotice: () => {} });
  const run = async () => {
    try {
      const rows = await sql<{ device_id: string; project_id: string; released_ip: string; last_seen_at: Date | null; revoked_certificates: number }[]>`
        select device_id, project_id, host(released_ip) as released_ip, last_seen_at, revoked_certificates
          from vidsync_api.reclaim_unseen_devices()`;
      for (const r of rows) {
        options.log(`reclaim: device ${r.device_id} of project ${r.project_id} released ${r.released_ip} (last seen ${r.last_seen_at?.toISOString() ?? 'never'}), ${r.revoked_certificates} certificate(s) revoked`);
      }
    } catch (error) {
      options.log(`reclaim: failed (${(error as Error).message})`);
    }
  };
  let running = run();
  const timer = setInterval(() => (running = run()), options.intervalMs ?? RECLAIM_INTERVAL_MS);
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await sql.end({ timeout: 5 });
    },
  };
}
