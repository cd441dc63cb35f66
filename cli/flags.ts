// A small version of Go's `flag` package, so our commands parse exactly what
// nebula-cert accepts: `-name x`, `-name=x`, `--name x`, boolean `-json` (or
// `-json=false`), parsing stops at the first non-flag or `--`, `-h`/`-help`
// asks for help. Help text is formatted like Go's PrintDefaults.
import { CliError } from './io.ts';

export type FlagKind = 'string' | 'bool' | 'duration';

export interface FlagSpec {
  kind: FlagKind;
  usage: string;
  /** string: text; bool: 'true'/'false'; duration: Go syntax. Empty/zero defaults are not printed. */
  default?: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

export interface ParsedFlags {
  strings: Record<string, string>;
  bools: Record<string, boolean>;
  /** Durations in seconds. */
  durations: Record<string, number>;
  rest: string[];
}

/** Thrown for -h/-help: the caller prints help and exits 0. */
export class HelpRequested extends Error {}

export function parseFlags(specs: FlagSpecs, args: readonly string[]): ParsedFlags {
  const out: ParsedFlags = { strings: {}, bools: {}, durations: {}, rest: [] };
  for (const [name, spec] of Object.entries(specs)) setValue(out, name, spec, spec.default ?? zeroOf(spec.kind));
  let i = 0;
  while (i < args.length) {
    const arg = args[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg.length < 2 || arg[0] !== '-') break;
    let body = arg.slice(arg[1] === '-' ? 2 : 1);
    if (body === '' || body[0] === '-' || body[0] === '=') throw new CliError(`bad flag syntax: ${arg}`);
    let value: string | undefined;
    const eq = body.indexOf('=');
    if (eq >= 0) {
      value = body.slice(eq + 1);
      body = body.slice(0, eq);
    }
    i++;
    const spec = specs[body];
    if (!spec) {
      if (body === 'h' || body === 'help') throw new HelpRequested();
      throw new CliError(`flag provided but not defined: -${body}`);
    }
    if (spec.kind === 'bool') {
      value ??= 'true';
      if (!/^(1|0|t|f|true|false|TRUE|FALSE|True|False|T|F)$/.test(value)) {
        throw new CliError(`invalid boolean value "${value}" for -${body}: parse error`);
      }
    } else if (value === undefined) {
      if (i >= args.length) throw new CliError(`flag needs an argument: -${body}`);
      value = args[i++]!;
    }
    setValue(out, body, spec, value);
  }
  out.rest = args.slice(i);
  return out;
}

function setValue(out: ParsedFlags, name: string, spec: FlagSpec, value: string): void {
  if (spec.kind === 'string') out.strings[name] = value;
  else if (spec.kind === 'bool') out.bools[name] = /^(1|t|true)$/i.test(value);
  else {
    const seconds = parseGoDuration(value);
    if (seconds === undefined) throw new CliError(`invalid value "${value}" for flag -${name}: parse error`);
    out.durations[name] = seconds;
  }
}

function zeroOf(kind: FlagKind): string {
  return kind === 'bool' ? 'false' : kind === 'duration' ? '0s' : '';
}

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, 'μs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Go's time.ParseDuration ("1h30m", "8760h0m0s", "1.5h", "-2m"), in seconds; undefined if invalid. */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  const part = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/;
  while (s !== '') {
    const m = part.exec(s);
    if (!m || m[1] === '' || m[1] === '.') return undefined;
    total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
    s = s.slice(m[0].length);
  }
  return sign * total;
}

/** Go's Duration.String() for whole seconds: 8760h0m0s, 1m30s, 0s. */
export function formatGoDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const sign = seconds < 0 ? '-' : '';
  let rest = Math.abs(Math.round(seconds));
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const sec = rest - m * 60;
  if (h > 0) return `${sign}${h}h${m}m${sec}s`;
  if (m > 0) return `${sign}${m}m${sec}s`;
  return `${sign}${sec}s`;
}

/** Go's FlagSet.PrintDefaults: sorted flags, type name, usage, non-zero default. */
export function formatFlagHelp(specs: FlagSpecs): string {
  let out = '';
  for (const name of Object.keys(specs).sort()) {
    const spec = specs[name]!;
    out += `  -${name}`;
    if (spec.kind !== 'bool') out += ` ${spec.kind}`;
    out += `\n    \t${spec.usage}`;
    const def = spec.default;
    if (def !== undefined && def !== zeroOf(spec.kind)) out += spec.kind === 'string' ? ` (default "${def}")` : ` (default ${def})`;
    out += '\n';
  }
  return out;
}
