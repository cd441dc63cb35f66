// `vidsync status -project ID [-dir …]`: what the device agent (`vidsync up`)
// last recorded for a project: phase, overlay IP, certificate expiry, the
// lighthouses it knows, last renewal, heartbeat and config poll, and when it
// drives a Syncthing, each shared folder's sync state. Local only:
// it reads agent.json in the project directory and checks the agent is alive.
import { isProcessAlive, readAgentState } from '../../client/src/index.ts';
import type { AgentState, SyncFolderState } from '../../client/src/index.ts';
import type { CliIo } from '../io.ts';
import { CliError } from '../io.ts';
import { agentProject, PROJECT_DIR_FLAGS } from '../agent-dir.ts';
import { EXIT_NOT_RUNNING } from '../exit-codes.ts';
import { type ModeDefinition, runMode } from '../cert/common.ts';

const status: ModeDefinition = {
  program: 'vidsync',
  name: 'status',
  summary: 'status <flags>: the device agent\'s state for a project (IP, certificate expiry, lighthouses, last renewal and heartbeat)',
  flags: {
    ...PROJECT_DIR_FLAGS,
    json: { kind: 'bool', usage: 'Optional: print the state as JSON' },
  },
  async action(flags, io) {
    const { projectId, dir } = agentProject(flags, io);
    const state = await readAgentState(dir);
    if (!state) throw new CliError(`no agent has run for project ${projectId} in ${dir} (start one with: vidsync up -project ${projectId})`);
    const alive = state.phase === 'running' && isProcessAlive(state.pid);
    const phase = state.phase === 'running' && !alive ? 'not running (agent gone)' : state.phase;
    // As `systemctl status` does: 0 while the agent runs, 3 when it does not (stopped, gone, revoked).
    const exitCode = alive ? 0 : EXIT_NOT_RUNNING;
    if (flags.bools.json) {
      io.stdout.write(`${JSON.stringify({ ...state, alive }, null, 2)}\n`);
      return exitCode;
    }
    // What only a running agent knows (its nebula's pid, which lighthouses answer, the next renewal) is not shown for one that is not.
    const rows: [string, string | number | undefined][] = [
      ['agent', `${phase}${alive ? ` (pid ${state.pid})` : ''}`],
      ['device', state.deviceId],
      ['overlay IP', state.ip],
      ['certificate', state.fingerprint ? `${state.fingerprint.slice(0, 16)}… until ${state.notAfter}` : undefined],
      ['next renewal', alive ? state.nextRenewalAt : undefined],
      ['last renewal', state.lastRenewalAt],
      ['nebula', state.nebulaVersion ? `${state.nebulaVersion}${alive && state.nebulaPid ? ` (pid ${state.nebulaPid}, started ${state.nebulaStarts}×)` : ''}` : undefined],
      ['lighthouses', state.lighthouses?.length ? state.lighthouses.map((ip) => `${ip}${!alive ? '' : state.lighthousesReachable?.includes(ip) ? ' (reachable)' : ' (not reached)'}`).join(', ') : 'none'],
      ['blocklist', state.blocklist],
      ['last heartbeat', state.lastHeartbeatAt],
      ['last config poll', state.lastConfigAt],
      ['last error', state.lastError],
      ...syncthingRows(state.syncthing, alive),
    ];
    io.stdout.write(rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${`${k}:`.padEnd(18)}${v}`).join('\n') + '\n');
    return exitCode;
  },
};

/**
 * Syncthing's part, when the agent drives one: its ID, peers, and a line per
 * shared folder. A folder's state is Syncthing's of this device's copy: with
 * no peer it is not "in sync" with anyone; and an agent that does not run
 * knows none of it any more.
 */
function syncthingRows(st: AgentState['syncthing'], alive: boolean): [string, string | number | undefined][] {
  if (!st) return [];
  if (!alive) return [['syncthing', st.deviceId ? `${st.deviceId.slice(0, 7)}…` : undefined]];
  const rows: [string, string | number | undefined][] = [
    ['syncthing', st.deviceId ? `${st.deviceId.slice(0, 7)}… (${st.peers ?? 0} peers${st.configuredAt ? '' : ', not configured yet'})` : 'waiting for its REST API'],
    ['syncthing error', st.lastError],
  ];
  for (const f of st.folders) rows.push([`folder ${f.folderId}`, folderLine(f, st.peers ?? 0)]);
  return rows;
}

/** "in sync", "syncing 42.5% (1.2 MB to go)", "error: …"; with no peer, "no peer to sync with yet". */
export function folderLine(f: SyncFolderState, peers = 1): string {
  const label = f.label && f.label !== f.folderId ? `${f.label}: ` : '';
  if (peers === 0) return `${label}no peer to sync with yet`;
  const errors = f.errors ? `, ${f.errors} error${f.errors === 1 ? '' : 's'}${f.error ? ` (${f.error})` : ''}` : '';
  if (f.state === 'idle' && f.completion >= 100) return `${label}in sync${errors}`;
  const togo = f.needBytes ? ` (${(f.needBytes / 1e6).toFixed(1)} MB to go)` : '';
  return `${label}${f.state} ${f.completion}%${togo}${errors}`;
}

export const run = (args: string[], io: CliIo): Promise<number> => runMode(status, args, io);
