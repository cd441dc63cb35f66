// The big file `npm run bench:e2e` sends, and the SHA-256 that checks it.
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

const CHUNK = 8 * 1024 * 1024;

/** Writes `bytes` random bytes (incompressible, so Syncthing's compression cannot help) and returns their SHA-256. */
export async function writeRandomFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const file = await open(path, 'w');
  try {
    const buffer = Buffer.alloc(CHUNK);
    for (let written = 0; written < bytes; ) {
      const n = Math.min(CHUNK, bytes - written);
      const chunk = randomFillSync(buffer, 0, n).subarray(0, n);
      hash.update(chunk);
      await file.write(chunk);
      written += n;
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
