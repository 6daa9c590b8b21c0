/**
 * A journal that stops accepting writes mid-run, as on a full disk. The fault is injected into the real
 * engine's journal repository (wrapJournal) with the error a full disk gives (ENOSPC): the workflow, the
 * hosts, the teardowns and the resume all run their real path, at every moment the test chooses. A real
 * full disk, where the embedded database itself fails, is full-disk.test.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunView } from '../../lib/cli/run-view.js';
import { JournalUnavailableError } from '../../lib/core/errors.js';
import type { JournalRepo } from '../../lib/core/ports.js';
import { LocalEngine } from '../../lib/engine/local-engine.js';
import { CliHarness } from '../support/cli.js';
import { hostWork } from '../support/host-work.js';

let cli: CliHarness;
beforeEach(async () => {
  cli = await CliHarness.create();
});
afterEach(async () => cli.dispose());

/** The real journal, whose every call fails with ENOSPC once `full()` says the disk is full. */
function fillsUp(full: () => boolean) {
  return (journal: JournalRepo): JournalRepo =>
    new Proxy(journal, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (full())
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          return value.apply(target, args);
        };
      },
    });
}

const PLAN = {
  name: 'disk-full',
  hosts: { local: 2 },
  repetitions: 3,
  timeouts: { task: '1m', stop: '10s' },
  teardown: ['touch global.teardown'],
  workloads: [
    {
      name: 'w',
      plugin: 'shell',
      options: { command: 'echo "{\\"ops\\": $FLEETBENCH_REP}"' },
      teardown: ['touch w.teardown'],
    },
  ],
};

describe('A journal that cannot be written', () => {
  it('ends with one clear error, runs the teardowns without it, and leaves the run resumable', async () => {
    let results = 0;
    const engine = await LocalEngine.open({
      dataDir: cli.dataDir,
      wrapJournal: (journal) => {
        const counting = new Proxy(journal, {
          get(target, property) {
            const value: unknown = Reflect.get(target, property, target);
            if (property === 'recordTaskResult') results++;
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
        return fillsUp(() => results > 2)(counting);
      },
    });
    const run = engine.start({ plan: PLAN });
    const { runId } = await run.started;
    const error = await run.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    await engine.close();

    expect(error).toBeInstanceOf(JournalUnavailableError);
    expect((error as Error).message).toMatch(
      /^the journal in \S+ cannot be written \(ENOSPC: no space left on device, write\); teardowns ran, nothing recorded since$/,
    );
    expect((error as JournalUnavailableError).hint).toBe(
      `fix the cause (free disk space), then \`fleetbench resume ${runId}\``,
    );
    for (const host of ['host-1', 'host-2']) {
      expect(existsSync(join(hostWork(cli.dataDir, host), 'w.teardown'))).toBe(true);
      expect(existsSync(join(hostWork(cli.dataDir, host), 'global.teardown'))).toBe(true);
    }

    const before = await cli.runJson<RunView>('show', runId);
    const resumed = await cli.run('resume', runId);
    const after = await cli.runJson<RunView>('show', runId);

    expect(before.state).toBe('FAILED');
    expect(before.reason).toMatch(/^the journal could not be written \(ENOSPC/);
    expect(resumed.code).toBe(0);
    expect(after.state).toBe('FINISHED');
    expect(after.counts).toMatchObject({ completed: 6, failed: 0, running: 0 });
  });
});
