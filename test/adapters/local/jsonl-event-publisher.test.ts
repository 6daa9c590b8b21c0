import { readFile, rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventsPath, JsonlEventPublisher } from '../../../lib/adapters/local/jsonl-event-publisher.js';
import type { CloudEvent } from '../../../lib/core/cloudevents.js';
import { makeTempDir } from '../../support/processes.js';

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function event(runId: string, id: string): CloudEvent {
  return {
    specversion: '1.0',
    id,
    source: 'fleetbench/local',
    type: 'fleetbench.task.completed',
    subject: runId,
    time: '2026-01-01T00:00:00.000Z',
    datacontenttype: 'application/json',
    data: { runId },
  } as unknown as CloudEvent;
}

const lines = async (runId: string) =>
  (await readFile(eventsPath(dir, runId), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as CloudEvent).id);

describe('Class: JsonlEventPublisher', () => {
  it("appends each run's events to its own events.jsonl, in call order, creating the directory", async () => {
    const publisher = new JsonlEventPublisher(dir);

    await Promise.all([
      publisher.publish([event('r1', 'a'), event('r2', 'x')]),
      publisher.publish([event('r1', 'b')]),
    ]);
    await publisher.publish([event('r1', 'c')]);

    expect(await lines('r1')).toEqual(['a', 'b', 'c']);
    expect(await lines('r2')).toEqual(['x']);
  });

  it("recreates a run's directory removed between two publishes", async () => {
    const publisher = new JsonlEventPublisher(dir);
    await publisher.publish([event('r1', 'a')]);
    await rm(eventsPath(dir, 'r1'), { force: true });
    await rm(`${dir}/runs`, { recursive: true, force: true });

    await publisher.publish([event('r1', 'b')]);

    expect(await lines('r1')).toEqual(['b']);
  });

  it('hands every event to subscribed listeners until they unsubscribe', async () => {
    const publisher = new JsonlEventPublisher(dir);
    const seen: string[] = [];
    const unsubscribe = publisher.subscribe((e) => seen.push(e.id));

    await publisher.publish([event('r1', 'a'), event('r1', 'b')]);
    unsubscribe();
    await publisher.publish([event('r1', 'c')]);

    expect(seen).toEqual(['a', 'b']);
  });
});
