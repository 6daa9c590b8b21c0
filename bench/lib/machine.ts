/** The machine the numbers come from: they mean little without it. */

import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem, type } from 'node:os';

export type Machine = {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly freeMemoryGiB: number;
  readonly node: string;
  readonly os: string;
  readonly date: string;
  /** 1-minute load average when the bench ended: timings on a busy machine are not comparable. */
  readonly loadAverage: number;
};

export function machine(): Machine {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: round(totalmem() / 1024 ** 3),
    freeMemoryGiB: round(freemem() / 1024 ** 3),
    node: process.version,
    os: `${osName()} (${type()} ${release()})`,
    date: new Date().toISOString(),
    loadAverage: round(loadavg()[0] ?? 0),
  };
}

function osName(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? type();
  } catch {
    return type();
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
