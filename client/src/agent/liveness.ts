// Whether a process still runs: the agent's own pid in its state file
// (`vidsync status`), and the local stack's and test harnesses' pid checks,
// with one answer everywhere.
import { readFileSync } from 'node:fs';

/**
 * Whether process `pid` runs. Signal 0 asks whether it exists (EPERM: it
 * does, under another user). Where /proc shows it (Linux), a zombie counts as
 * gone: it has exited, and its parent has not reaped it yet (a container's
 * PID 1 may never do so).
 */
export function isProcessAlive(pid: number): boolean {
  // 0 and negative numbers name process groups to kill(), not a process.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
