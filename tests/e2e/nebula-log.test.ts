// The harness reads nebula 1.6.1's log to tell completed, relayed and refused
// handshakes apart. These lines were captured from nebula 1.6.1 in both log
// formats; if a nebula upgrade renames a message, this is where it shows.
import { describe, expect, it } from 'vitest';
import { parseNebulaLogLine } from '../../scripts/e2e/nebula-host.ts';

const text = {
  relayed:
    'time="2026-11-28T00:34:18Z" level=info msg="Handshake message received" certName=p1-b durationNs=181258741 ' +
    'handshake="map[stage:2 style:ix_psk0]" initiatorIndex=1916720011 remoteIndex=1916720011 responderIndex=1110770078 ' +
    'sentCachedPackets=1 udpAddr="<nil>" vpnIp=10.71.0.12',
  direct:
    'time="2026-11-28T00:34:17Z" level=info msg="Handshake message received" certName=p1-lh1 durationNs=1178081 ' +
    'handshake="map[stage:2 style:ix_psk0]" udpAddr="198.18.0.10:4242" vpnIp=10.71.0.1',
  bareMsg: 'time="2026-11-28T00:34:17Z" level=info msg=handleCreateRelayResponse hostInfo=10.71.0.1 relayTarget=10.71.0.12',
};

const json =
  '{"certName":"p1-b","durationNs":1115281,"handshake":{"stage":2,"style":"ix_psk0"},"level":"info",' +
  '"msg":"Handshake message received","sentCachedPackets":1,"time":"2026-11-28T00:31:35Z",' +
  '"udpAddr":{"ip":"198.18.0.12","port":47374},"vpnIp":"10.71.0.12"}';

describe('parseNebulaLogLine', () => {
  it('reads logrus text lines with quoted and bare values', () => {
    const e = parseNebulaLogLine(text.relayed);
    expect(e?.msg).toBe('Handshake message received');
    expect(e?.level).toBe('info');
    expect(e?.fields.vpnIp).toBe('10.71.0.12');
    expect(e?.fields.udpAddr).toBe('<nil>');
    expect(e?.fields.handshake).toBe('map[stage:2 style:ix_psk0]');
    expect(parseNebulaLogLine(text.direct)?.fields.udpAddr).toBe('198.18.0.10:4242');
    expect(parseNebulaLogLine(text.bareMsg)?.msg).toBe('handleCreateRelayResponse');
  });

  it('reads JSON lines, nested values as JSON text', () => {
    const e = parseNebulaLogLine(json);
    expect(e?.msg).toBe('Handshake message received');
    expect(e?.fields.vpnIp).toBe('10.71.0.12');
    expect(e?.fields.udpAddr).toBe('{"ip":"198.18.0.12","port":47374}');
    expect(e?.fields.durationNs).toBe('1115281');
  });

  it('returns undefined for lines that are not log entries', () => {
    expect(parseNebulaLogLine('panic: runtime error')).toBeUndefined();
    expect(parseNebulaLogLine('{not json')).toBeUndefined();
  });
});
