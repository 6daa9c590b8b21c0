/**
 * Writes a file the way the results commands promise: whole or not at all. The text goes to a
 * temporary file next to the target and is renamed over it, so an interrupted `report --output`
 * never leaves half a report where the last good one was.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * @example
 * await writeFileAtomic('/tmp/out/report.html', html);
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, text);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
