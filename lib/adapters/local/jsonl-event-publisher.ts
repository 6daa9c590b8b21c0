/**
 * The local event bus: CloudEvents appended one per line to `<dataDir>/runs/<runId>/events.jsonl`
 * (what `fleetbench events --follow` tails), and handed to in-process listeners (the progress bar).
 *
 * Appends are synchronous: a task's event is one short line to a local file, a few microseconds, where an
 * asynchronous mkdir + appendFile cost ~0.3 ms of thread-pool round trips per task; being synchronous also
 * keeps the lines of concurrent publishes in call order (every publish first awaits the same envelope step,
 * so they reach the appends in the order they were called).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { envelopeJson } from '../../core/cloudevent-envelope.js';
import type { CloudEvent } from '../../core/cloudevents.js';
import type { EventPublisher } from '../../core/ports.js';

export function eventsPath(dataDir: string, runId: string): string {
  return join(dataDir, 'runs', runId, 'events.jsonl');
}

export class JsonlEventPublisher implements EventPublisher {
  private readonly listeners = new Set<(event: CloudEvent) => void>();

  constructor(private readonly dataDir: string) {}

  subscribe(listener: (event: CloudEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async publish(events: readonly CloudEvent[]): Promise<void> {
    const json = await envelopeJson(events);
    const byRun = new Map<string, string[]>();
    events.forEach((e, i) => {
      const runId = String(e.data.runId ?? e.subject ?? 'unknown');
      const lines = byRun.get(runId) ?? [];
      lines.push(`${json[i]}\n`);
      byRun.set(runId, lines);
    });
    for (const [runId, lines] of byRun) append(eventsPath(this.dataDir, runId), lines.join(''));
    for (const e of events) for (const l of this.listeners) l(e);
  }
}

/** Appends to `path`, creating its directory only when it is missing (not on every append). */
function append(path: string, text: string): void {
  try {
    appendFileSync(path, text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dirname(path), { recursive: true });
    appendFileSync(path, text);
  }
}
