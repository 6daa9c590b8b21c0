/**
 * Figure 6's subject, in a process of its own: runs a plan of `hosts` × `reps` /bin/true through the
 * local engine and reports this process's peak resident memory — sampled every 50 ms and the kernel's
 * high-water mark (VmHWM) — as one JSON line on stdout. The host workers are separate processes and
 * are not counted.
 *
 * Usage: node --import tsx bench/memory-child.ts <hosts> <reps>
 */
import { readFileSync } from 'node:fs';
import { runEngine, shellPlan } from './lib/engine-run.js';

const [hosts = 10, reps = 100] = process.argv.slice(2).map(Number);
const MB = 1024 * 1024;
const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
/** RSS and heap every ~5 s, to tell a leak (heap grows with tasks) from allocator growth (only RSS does). */
const series: {
  s: number;
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
  anonMB: number | null;
  fileMB: number | null;
}[] = [];
const began = performance.now();
let ticks = 0;
const sample = () => {
  const usage = process.memoryUsage();
  for (const key of Object.keys(peak) as (keyof typeof peak)[]) peak[key] = Math.max(peak[key], usage[key]);
  if (ticks++ % 100 === 0)
    series.push({
      s: Math.round((performance.now() - began) / 1000),
      rssMB: Math.round(usage.rss / MB),
      heapUsedMB: Math.round(usage.heapUsed / MB),
      heapTotalMB: Math.round(usage.heapTotal / MB),
      externalMB: Math.round(usage.external / MB),
      ...rssSplitMB(),
    });
};

/** RSS split into anonymous memory (heaps, native allocations) and mapped files (LevelDB tables, code). */
function rssSplitMB(): { anonMB: number | null; fileMB: number | null } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const mb = (field: string) => {
    const kB = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return kB === undefined ? null : Math.round(Number(kB) / 1024);
  };
  return { anonMB: mb('RssAnon'), fileMB: mb('RssFile') };
}
sample();
const sampler = setInterval(sample, 50);
const startRss = process.memoryUsage().rss;
const run = await runEngine(shellPlan('bench-memory', hosts, reps, '/bin/true'), { countRequests: true });
clearInterval(sampler);
const status = readFileSync('/proc/self/status', 'utf8');
const kB = (field: string) => {
  const value = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
  return value === undefined ? null : Number(value) * 1024;
};
const hwm = kB('VmHWM');
process.stdout.write(
  `${JSON.stringify({
    hosts,
    reps,
    tasks: hosts * reps,
    completed: run.final.counts.completed,
    state: run.final.state,
    ms: run.ms,
    startRssBytes: startRss,
    peakRssSampledBytes: peak.rss,
    peakHeapUsedBytes: peak.heapUsed,
    peakHeapTotalBytes: peak.heapTotal,
    peakExternalBytes: peak.external,
    peakArrayBuffersBytes: peak.arrayBuffers,
    series,
    /** Items the engine read back from the journal per kind of Query: what each step costs as the run grows. */
    queries: Object.fromEntries(
      Object.entries(run.requests ?? {})
        .filter(([name]) => name.startsWith('Query'))
        .map(([name, r]) => [name, { count: r.count, itemsRead: r.items, ms: Math.round(r.ms) }]),
    ),
    vmHwmBytes: hwm,
    /** At the end of the run: anonymous memory vs file pages mapped (LevelDB maps its table files). */
    rssAnonBytes: kB('RssAnon'),
    rssFileBytes: kB('RssFile'),
  })}\n`,
);
