// Packet losses during a transfer, from the kernel's SNMP counters of a
// namespace (/proc/<pid>/net/snmp shows the network namespace of that
// process, so any process inside it will do): UDP datagrams dropped because
// nebula's socket buffer was full, and TCP segments retransmitted.
import { readFileSync } from 'node:fs';

export interface NetCounters {
  readonly udpIn: number;
  readonly udpRcvbufErrors: number;
  readonly tcpOutSegs: number;
  readonly tcpRetransSegs: number;
}

/** The counters of the namespace `pid` lives in (zeros once it is gone). */
export function netCounters(pid: number): NetCounters {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/net/snmp`, 'utf8');
  } catch {
    return { udpIn: 0, udpRcvbufErrors: 0, tcpOutSegs: 0, tcpRetransSegs: 0 };
  }
  const udp = table(text, 'Udp');
  const tcp = table(text, 'Tcp');
  return { udpIn: udp.InDatagrams ?? 0, udpRcvbufErrors: udp.RcvbufErrors ?? 0, tcpOutSegs: tcp.OutSegs ?? 0, tcpRetransSegs: tcp.RetransSegs ?? 0 };
}

/** One protocol's two lines ("Udp: names…" then "Udp: values…") as a record. */
function table(text: string, proto: string): Record<string, number> {
  const lines = text.split('\n').filter((l) => l.startsWith(`${proto}: `));
  const names = lines[0]?.split(/\s+/).slice(1) ?? [];
  const values = lines[1]?.split(/\s+/).slice(1).map(Number) ?? [];
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? 0]));
}

/**
 * Sums the counters over several windows (start/stop pairs): the receiver's
 * UDP drops (nebula's socket on B) and the sender's TCP retransmissions
 * (Syncthing on A, inside the tunnel).
 */
export class LossMeter {
  private readonly senderPid: number;
  private readonly receiverPid: number;
  private sums = { udpIn: 0, udpDrops: 0, tcpOut: 0, tcpRetrans: 0 };
  private open: { sender: NetCounters; receiver: NetCounters } | undefined;

  /** Any process in the sender's and in the receiver's namespace (e.g. their Syncthings). */
  constructor(senderPid: number, receiverPid: number) {
    this.senderPid = senderPid;
    this.receiverPid = receiverPid;
  }

  start(): void {
    this.open = { sender: netCounters(this.senderPid), receiver: netCounters(this.receiverPid) };
  }

  stop(): void {
    if (!this.open) return;
    const sender = netCounters(this.senderPid);
    const receiver = netCounters(this.receiverPid);
    this.sums.udpIn += receiver.udpIn - this.open.receiver.udpIn;
    this.sums.udpDrops += receiver.udpRcvbufErrors - this.open.receiver.udpRcvbufErrors;
    this.sums.tcpOut += sender.tcpOutSegs - this.open.sender.tcpOutSegs;
    this.sums.tcpRetrans += sender.tcpRetransSegs - this.open.sender.tcpRetransSegs;
    this.open = undefined;
  }

  /** Fractions: UDP datagrams dropped at the receiver per datagram that arrived or was dropped; TCP segments resent per segment sent. */
  rates(): { udpDropRate: number; tcpRetransRate: number } {
    const s = this.sums;
    return {
      udpDropRate: s.udpIn + s.udpDrops > 0 ? s.udpDrops / (s.udpIn + s.udpDrops) : 0,
      tcpRetransRate: s.tcpOut > 0 ? s.tcpRetrans / s.tcpOut : 0,
    };
  }

}
