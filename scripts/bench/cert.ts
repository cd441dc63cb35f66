// Certificates signed per second: our in-process signer (WebCrypto and the
// tweetnacl fallback, chosen per signer) against spawning `nebula-cert sign` once per
// certificate, as the seed did. Both measured in this run; prints the ratio.
// Goals: ≥ 10,000 signatures/s in-process and ≥ 50× the spawn.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createCertificateAuthority,
  createEd25519Signer,
  generateX25519KeyPair,
  signHostCertificate,
  x25519PublicKeyToPem,
} from '../../supabase/functions/_shared/nebula-cert/index.ts';

const IN_PROCESS_SECONDS = 2;
const SPAWNS = 30;
/** Signatures in flight at once: WebCrypto runs them on libuv's thread pool. */
const CONCURRENCY = 64;

async function inProcessRate(backend: 'webcrypto' | 'tweetnacl'): Promise<number> {
  const ca = await createCertificateAuthority({ name: 'bench ca', ips: ['10.99.0.0/16'], groups: ['devices'] });
  const signer = await createEd25519Signer(ca.privateKey, { backend });
  const { publicKey } = await generateX25519KeyPair();
  let n = 0;
  const signOne = () =>
    signHostCertificate({
      ca: { certificate: ca.certificate, signer },
      publicKey,
      name: `device-${n}`,
      ip: `10.99.${(n >> 8) & 255}.${n & 255}/16`,
      groups: ['devices'],
    });
  for (let i = 0; i < 200; i++) await signOne(); // warm up
  const start = performance.now();
  const deadline = start + IN_PROCESS_SECONDS * 1000;
  while (performance.now() < deadline) {
    const batch = [];
    for (let i = 0; i < CONCURRENCY; i++, n++) batch.push(signOne());
    await Promise.all(batch);
  }
  return n / ((performance.now() - start) / 1000);
}

export async function run(): Promise<void> {
  const webcrypto = await inProcessRate('webcrypto');
  const tweetnacl = await inProcessRate('tweetnacl');
  const spawn = await spawnSignRate();
  const rows: [string, string, string][] = [
    ['in-process, WebCrypto Ed25519', fmt(webcrypto), spawn ? `${(webcrypto / spawn).toFixed(0)}×` : 'n/a'],
    ['in-process, tweetnacl fallback', fmt(tweetnacl), spawn ? `${(tweetnacl / spawn).toFixed(0)}×` : 'n/a'],
    [`spawn nebula-cert sign (${SPAWNS}×)`, spawn ? fmt(spawn) : 'nebula-cert not installed', spawn ? '1×' : ''],
  ];
  console.log('certificates signed per second (higher is better)');
  console.log(table(['method', 'certs/s', 'vs spawn'], rows));
  console.log(`goals: ≥ 10,000/s in-process (${webcrypto >= 10_000 ? 'met' : 'NOT met'}), ≥ 50× spawn (${spawn ? (webcrypto / spawn >= 50 ? 'met' : 'NOT met') : 'not measured'})`);
}

async function spawnSignRate(): Promise<number | undefined> {
  try {
    execFileSync('sh', ['-c', 'command -v nebula-cert'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-cert-'));
  try {
    execFileSync('nebula-cert', ['ca', '-name', 'bench ca', '-out-crt', join(dir, 'ca.crt'), '-out-key', join(dir, 'ca.key')]);
    // Public keys prepared beforehand: only the sign itself is timed, as the seed spawned it.
    const pubs: string[] = [];
    for (let i = 0; i < SPAWNS; i++) {
      const path = join(dir, `d${i}.pub`);
      writeFileSync(path, x25519PublicKeyToPem((await generateX25519KeyPair()).publicKey));
      pubs.push(path);
    }
    const start = performance.now();
    for (let i = 0; i < SPAWNS; i++) {
      execFileSync('nebula-cert', [
        'sign', '-ca-crt', join(dir, 'ca.crt'), '-ca-key', join(dir, 'ca.key'), '-name', `device-${i}`,
        '-ip', `10.99.0.${i + 1}/16`, '-in-pub', pubs[i]!, '-out-crt', join(dir, `d${i}.crt`),
      ]);
    }
    return SPAWNS / ((performance.now() - start) / 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
