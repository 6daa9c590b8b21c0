import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileLogger } from '../../../lib/adapters/local/file-logger.js';

describe('Function: fileLogger', () => {
  it('appends JSON lines to engine.log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleetbench-log-'));
    const logger = fileLogger(dir);

    logger.warn('host excluded', { host: 'host-2' });

    const [line] = (await readFile(join(dir, 'engine.log'), 'utf8')).trim().split('\n');
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      level: 'warn',
      message: 'host excluded',
      host: 'host-2',
    });
    await rm(dir, { recursive: true, force: true });
  });

  it('never throws, even when its data directory is gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleetbench-log-'));
    const logger = fileLogger(dir);
    await rm(dir, { recursive: true, force: true });

    expect(() => logger.error('stop coordination failed', { runId: 'r' })).not.toThrow();
  });
});
