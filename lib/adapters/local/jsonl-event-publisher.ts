/**
 * The local event bus: CloudEvents appended one per line to `<dataDir>/runs/<runId>/events.jsonl`
 * (what `fleetbench events --follow` tails), and handed to in-process listeners (the progress bar).
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
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
    const byRun = new Map<string, CloudEvent[]>();
    for (const e of events) {
      const runId = String(e.data.runId ?? e.subject ?? 'unknown');
      byRun.set(runId, [...(byRun.get(runId) ?? []), e]);
    }
    for (const [runId, list] of byRun) {
      const path = eventsPath(this.dataDir, runId);
      await mkdir(join(path, '..'), { recursive: true });
      await appendFile(path, list.map((e) => `${JSON.stringify(e)}\n`).join(''));
    }
    for (const e of events) for (const l of this.listeners) l(e);
  }
}
