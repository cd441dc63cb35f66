// The `vidsync cert` CLI in-process: nebula-cert's flags, defaults, help text,
// one-line errors with exit codes, refusing to overwrite; and its output
// checked by the real nebula-cert where installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCertificatePem } from '../../supabase/functions/_shared/nebula-cert/index.ts';
import { parseGoDuration } from '../../cli/flags.ts';
import { runCli } from '../support/cli.ts';
import { binary, missing } from '../../scripts/e2e/requirements.ts';

const root = mkdtempSync(join(tmpdir(), 'cert-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const cli = (cwd: string, ...args: string[]) => runCli(cwd, args);

function freshDir(): string {
  const d = join(root, `d${n++}`);
  execFileSync('mkdir', ['-p', d]);
  return d;
}

describe('vidsync cert', () => {
  it('ca → keygen → sign -in-pub → verify → print, with nebula-cert defaults', async () => {
    const d = freshDir();
    expect(await cli(d, 'cert', 'ca', '-name', 'CLI CA', '-ips', '10.42.0.0/16', '-groups=x,y')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(existsSync(join(d, 'ca.crt')) && existsSync(join(d, 'ca.key'))).toBe(true);
    expect(statSync(join(d, 'ca.key')).mode & 0o777).toBe(0o600);
    const ca = parseCertificatePem(readFileSync(join(d, 'ca.crt'), 'utf8'));
    expect((ca.details.notAfter.getTime() - ca.details.notBefore.getTime()) / 3600_000).toBe(8760);

    expect((await cli(d, 'cert', 'keygen', '-out-pub', 'h.pub', '-out-key', 'h.key')).code).toBe(0);
    expect((await cli(d, 'cert', 'sign', '-name', 'h1', '-ip', '10.42.3.4/24', '-in-pub', 'h.pub', '--groups', 'x', '-duration', '1h30m')).code).toBe(0);
    const host = parseCertificatePem(readFileSync(join(d, 'h1.crt'), 'utf8'));
    expect(host.details.groups).toEqual(['x']);
    expect((host.details.notAfter.getTime() - host.details.notBefore.getTime()) / 1000).toBe(5400);
    expect(await cli(d, 'cert', 'verify', '-ca', 'ca.crt', '-crt', 'h1.crt')).toEqual({ code: 0, stdout: '', stderr: '' });

    const printed = await cli(d, 'cert', 'print', '-json', '-path', 'h1.crt');
    expect(printed.code).toBe(0);
    expect(JSON.parse(printed.stdout).details.name).toBe('h1');

    // sign without -in-pub writes a key pair named after the cert
    expect((await cli(d, 'cert', 'sign', '-name', 'h2', '-ip', '10.42.3.5/24')).code).toBe(0);
    expect(existsSync(join(d, 'h2.key')) && existsSync(join(d, 'h2.crt'))).toBe(true);
  });

  it('refuses to overwrite, with nebula-cert’s message and exit 1', async () => {
    const d = freshDir();
    await cli(d, 'cert', 'ca', '-name', 'A');
    const before = readFileSync(join(d, 'ca.key'), 'utf8');
    expect(await cli(d, 'cert', 'ca', '-name', 'B')).toEqual({ code: 1, stdout: '', stderr: 'Error: refusing to overwrite existing CA key: ca.key\n' });
    expect(readFileSync(join(d, 'ca.key'), 'utf8')).toBe(before);
    await cli(d, 'cert', 'sign', '-name', 'h', '-ip', '10.0.0.1/8');
    expect((await cli(d, 'cert', 'sign', '-name', 'h', '-ip', '10.0.0.2/8')).stderr).toBe('Error: refusing to overwrite existing cert: h.crt\n');
    writeFileSync(join(d, 'k.pub'), 'x');
    expect((await cli(d, 'cert', 'keygen', '-out-pub', 'k.pub', '-out-key', 'k.key')).stderr).toBe('Error: refusing to overwrite existing public key: k.pub\n');
  });

  it.each([
    [['cert', 'sign', '-name', 'x'], 'Error: -ip is required\n'],
    [['cert', 'ca'], 'Error: -name is required\n'],
    [['cert', 'ca', '-name', 'x', '-duration', '0s'], 'Error: -duration must be greater than 0\n'],
    [['cert', 'ca', '-name', 'x', '-duration', '5 days'], 'Error: invalid value "5 days" for flag -duration: parse error\n'],
    [['cert', 'ca', '-name'], 'Error: flag needs an argument: -name\n'],
    [['cert', 'ca', '-nmae', 'x'], 'Error: flag provided but not defined: -nmae\n'],
    [['cert', 'ca', '-name', 'x', '-ips', '10.0.0.0'], 'Error: invalid ip definition: invalid CIDR address: 10.0.0.0\n'],
    [['cert', 'sign', '-name', 'x', '-ip', '10.0.0.1/8', '-in-pub', 'a', '-out-key', 'b'], 'Error: cannot set both -in-pub and -out-key\n'],
    [['cert', 'sign', '-name', 'x', '-ip', '10.0.0.1/8'], /^Error: error while reading ca-key: .*ca\.key.*\n$/],
    [['cert', 'verify', '-ca', 'nope.crt', '-crt', 'x'], /^Error: error while reading ca: /],
    [['cert', 'bogus'], 'Error: unknown mode: bogus\n'],
    [['cert'], 'Error: No mode was provided\n'],
    [['nope'], 'Error: unknown command: nope (try -h)\n'],
  ])('%j → one-line error, exit 1', async (args, expected) => {
    const r = await cli(freshDir(), ...(args as string[]));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    if (typeof expected === 'string') expect(r.stderr).toBe(expected);
    else expect(r.stderr).toMatch(expected);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('help text mirrors nebula-cert (Required/Optional, Go defaults), exit 0', async () => {
    const r = await cli(freshDir(), 'cert', 'ca', '-h');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'Usage of vidsync cert ca <flags>: create a self signed certificate authority',
        '  -duration duration',
        '    \tOptional: amount of time the certificate should be valid for. Valid time units are seconds: "s", minutes: "m", hours: "h" (default 8760h0m0s)',
        '  -groups string',
        '    \tOptional: comma separated list of groups. This will limit which groups subordinate certs can use',
        '  -ips string',
        '    \tOptional: comma separated list of ipv4 address and network in CIDR notation. This will limit which ipv4 addresses and networks subordinate certs can use for ip addresses',
        '  -name string',
        '    \tRequired: name of the certificate authority',
        '  -out-crt string',
        '    \tOptional: path to write the certificate to (default "ca.crt")',
        '  -out-key string',
        '    \tOptional: path to write the private key to (default "ca.key")',
        '  -subnets string',
        '    \tOptional: comma separated list of ipv4 address and network in CIDR notation. This will limit which ipv4 addresses and networks subordinate certs can use in subnets',
        '',
      ].join('\n'),
    );
    expect((await cli(freshDir(), 'cert', 'print', '--help')).stdout).toContain('  -json\n    \tOptional: outputs certificates in json format\n');
    expect((await cli(freshDir(), '-h')).stdout).toContain('cert <mode> <flags>');
  });

  it('Go duration syntax', () => {
    expect(parseGoDuration('8760h0m0s')).toBe(31_536_000);
    expect(parseGoDuration('1h30m')).toBe(5400);
    expect(parseGoDuration('1.5h')).toBe(5400);
    expect(parseGoDuration('90s')).toBe(90);
    expect(parseGoDuration('0')).toBe(0);
    for (const bad of ['', '1', 'h', '1d', '1h 30m']) expect(parseGoDuration(bad)).toBeUndefined();
  });
});

const skipInterop = missing(binary('nebula-cert'));
describe.runIf(!skipInterop)('vidsync cert with nebula-cert', () => {
  it('our CLI CA signs with nebula-cert; nebula-cert CA signs with our CLI; each verifies the other', async () => {
    const d = freshDir();
    expect((await cli(d, 'cert', 'ca', '-name', 'ours', '-out-crt', 'o.crt', '-out-key', 'o.key', '-ips', '10.1.0.0/16')).code).toBe(0);
    execFileSync('nebula-cert', ['sign', '-ca-crt', 'o.crt', '-ca-key', 'o.key', '-name', 'a', '-ip', '10.1.0.9/16'], { cwd: d });
    expect(await cli(d, 'cert', 'verify', '-ca', 'o.crt', '-crt', 'a.crt')).toEqual({ code: 0, stdout: '', stderr: '' });

    execFileSync('nebula-cert', ['ca', '-name', 'theirs', '-out-crt', 't.crt', '-out-key', 't.key'], { cwd: d });
    expect((await cli(d, 'cert', 'sign', '-ca-crt', 't.crt', '-ca-key', 't.key', '-name', 'b', '-ip', '10.2.0.9/16')).code).toBe(0);
    expect(spawnSync('nebula-cert', ['verify', '-ca', 't.crt', '-crt', 'b.crt'], { cwd: d }).status).toBe(0);

    const theirs = spawnSync('nebula-cert', ['print', '-json', '-path', 'b.crt'], { cwd: d, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } }).stdout;
    expect((await cli(d, 'cert', 'print', '-json', '-path', 'b.crt')).stdout).toBe(theirs);
    // Wrong CA: both refuse.
    expect(spawnSync('nebula-cert', ['verify', '-ca', 'o.crt', '-crt', 'b.crt'], { cwd: d }).status).not.toBe(0);
    expect(await cli(d, 'cert', 'verify', '-ca', 'o.crt', '-crt', 'b.crt')).toEqual({ code: 1, stdout: '', stderr: 'Error: could not find ca for the certificate\n' });
  });
});
