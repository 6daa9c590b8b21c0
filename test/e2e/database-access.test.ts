/**
 * Who may reach a running engine's database: only the data directory's owner. A real `fleetbench run`
 * serves it; a local client that does not carry the lock's secret is refused before dynalite sees the
 * request, so it can neither read results nor rewrite a run's plan.
 */
import { readFile, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineFixture } from '../support/engine-fixture.js';
import { startEngineProcess } from '../support/engine-process.js';
import { until } from '../support/processes.js';

const t = engineFixture();

/** A DynamoDB Scan of the journal, as any local process could send it, with optional extra headers. */
function scan(
  endpoint: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({ TableName: 'fleetbench-journal' });
  return new Promise((resolve, reject) => {
    const req = request(
      endpoint,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.Scan',
          authorization:
            'AWS4-HMAC-SHA256 Credential=x/20260101/local/dynamodb/aws4_request, SignedHeaders=host, Signature=x',
          'x-amz-date': '20260101T000000Z',
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('Database access', () => {
  it('refuses a local client without the secret; the data directory and the secret are owner-only', async () => {
    // Prepare: a run that keeps its engine serving
    const plan = await t.cli.writePlan(
      'plan.yaml',
      'name: access\nhosts: { local: 1 }\nworkloads:\n  - { name: wait, plugin: shell, options: { command: "sleep 30" } }\n',
    );
    t.engine = startEngineProcess(t.cli.dir, t.cli.dataDir, ['run', plan]);
    await t.engine.runId;
    const lockPath = join(t.cli.dataDir, 'db.lock.json');
    const lock = await until(
      () =>
        readFile(lockPath, 'utf8').then(
          (text) => JSON.parse(text) as { endpoint: string; secret: string },
          () => undefined,
        ),
      { what: 'the database lock', timeoutMs: 20_000 },
    );

    // Act
    const stranger = await scan(lock.endpoint);
    const guesser = await scan(lock.endpoint, { 'x-fleetbench-secret': 'a'.repeat(64) });
    const owner = await scan(lock.endpoint, { 'x-fleetbench-secret': lock.secret });

    // Assess
    expect(stranger.status).toBe(403);
    expect(stranger.body).toContain('AccessDeniedException');
    expect(stranger.body).not.toContain('RUN#');
    expect(guesser.status).toBe(403);
    expect(owner.status).toBe(200);
    expect(owner.body).toContain('RUN#');
    expect((await stat(t.cli.dataDir)).mode & 0o777).toBe(0o700);
    expect((await stat(lockPath)).mode & 0o777).toBe(0o600);
  }, 60_000);
});
