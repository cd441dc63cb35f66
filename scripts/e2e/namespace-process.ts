// A long-running program in a test host's namespace (nebula, syncthing): its
// output kept line by line, and optionally in a file, for assertions and for
// the failure report; and a stop that always ends it.
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { UnderlayHost } from './netns.ts';

export class NamespaceProcess {
  private readonly child: ChildProcess;
  private readonly output: string[] = [];
  private readonly logFile: WriteStream | undefined;
  private partial = { stdout: '', stderr: '' };

  constructor(child: ChildProcess, logPath?: string) {
    this.child = child;
    this.logFile = logPath ? createWriteStream(logPath, { flags: 'a' }) : undefined;
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]?.setEncoding('utf8');
      child[stream]?.on('data', (chunk: string) => this.collect(stream, chunk));
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How it ended, for error messages: the exit code or the signal. */
  get exitStatus(): string {
    return String(this.child.exitCode ?? this.child.signalCode);
  }

  /** Non-empty output lines so far, stdout and stderr interleaved as they came. */
  get lines(): readonly string[] {
    return this.output;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves once the process is gone and its log file is closed. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      if (!(await this.exited(graceMs))) {
        this.child.kill('SIGKILL');
        await this.exited(graceMs);
      }
    }
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream].trim()) this.output.push(this.partial[stream]);
      this.partial[stream] = '';
    }
    await new Promise<void>((resolve) => (this.logFile ? this.logFile.end(resolve) : resolve()));
  }

  private exited(timeoutMs: number): Promise<boolean> {
    if (!this.running) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private collect(stream: 'stdout' | 'stderr', chunk: string): void {
    this.logFile?.write(chunk);
    const parts = (this.partial[stream] + chunk).split('\n');
    this.partial[stream] = parts.pop() ?? '';
    for (const line of parts) if (line.trim()) this.output.push(line);
  }
}

/**
 * A program run on a test host (NebulaHost, SyncthingInstance): its process,
 * and a start that waits until the program is ready, or else stops it and
 * fails with its log, so a failed start says why.
 */
export abstract class HostProgram {
  readonly host: UnderlayHost;
  protected readonly process: NamespaceProcess;

  protected constructor(host: UnderlayHost, child: ChildProcess, logPath?: string) {
    this.host = host;
    this.process = new NamespaceProcess(child, logPath);
  }

  /** Resolves to `program` once `ready` does; else stops it and rejects with the error and the `<name> log`. */
  protected static async readyOrStopped<P extends HostProgram>(program: P, name: string, ready: () => Promise<void>): Promise<P> {
    try {
      await ready();
    } catch (err) {
      await program.stop();
      throw new Error(`${(err as Error).message}\n--- ${name} log (${program.host.name}) ---\n${program.logText()}`);
    }
    return program;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.running;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves once the process is gone. */
  stop(graceMs = 3000): Promise<void> {
    return this.process.stop(graceMs);
  }

  logText(): string {
    return this.process.lines.join('\n');
  }
}
