/**
 * What `fleetbench doctor` does: the checks of the target (doctor-checks.ts, doctor-aws.ts), the journal's
 * (doctor-journal.ts), the table or JSON of them, and one install line for what is missing.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../core/errors.js';
import { plugins as registry } from '../core/plugins/index.js';
import type { WorkloadPlugin } from '../core/plugins/types.js';
import { stableJson } from '../core/report/stable-json.js';
import type { Target } from '../core/run.js';
import { awsLocation } from './backend.js';
import type { DoctorCheck } from './doctor-check.js';
import { DEFAULT_PATH, DOCTOR_TARGETS, installAllCommand, packageManagerOf } from './doctor-checks.js';
import { checkJournal, repairJournal } from './doctor-journal.js';
import { CliExit, type Io } from './io.js';
import { readPlanFile } from './plan-file.js';
import { table } from './table.js';

export type DoctorOptions = {
  target: string;
  stack?: string;
  plan?: string;
  json?: boolean;
  repair?: boolean;
};

function targetOf(value: string): Target {
  if (value === 'local' || value === 'aws') return value;
  throw new UsageError(`unknown target ${JSON.stringify(value)}`, {
    hint: 'use --target local or --target aws',
  });
}

async function osRelease(): Promise<string | undefined> {
  return readFile('/etc/os-release', 'utf8').catch(() => undefined);
}

function statusLabel(io: Io, check: DoctorCheck): string {
  return check.status === 'OK' ? io.colours.out.green('OK') : io.colours.out.red(check.status);
}

/**
 * Runs the checks of `opts.target` and prints them; exit 1 (CliExit) when one fails.
 * @example
 * await runDoctor(io, { target: 'local' }, '/home/me/.fleetbench');
 */
export async function runDoctor(io: Io, opts: DoctorOptions, dataDir: string): Promise<void> {
  const target = targetOf(opts.target);
  const plan = opts.plan === undefined ? undefined : await readPlanFile(opts.plan, io.cwd);
  const used: WorkloadPlugin[] = plan
    ? [...new Set(plan.workloads.map((w) => w.plugin))].flatMap((name) => registry.get(name) ?? [])
    : registry.names().flatMap((name) => registry.get(name) ?? []);
  const release = await osRelease();
  const checks = await DOCTOR_TARGETS[target]({
    nodeVersion: process.versions.node,
    dataDir,
    // The hosts' commands inherit fleetbench's environment plus the plan's env.
    path: plan?.env.PATH ?? io.env.PATH ?? DEFAULT_PATH,
    osRelease: release,
    plugins: used,
    ...(target === 'aws' ? awsLocation(io, opts.stack) : {}),
    ...(plan !== undefined ? { plan } : {}),
  });
  if (target === 'local') {
    checks.push(...(opts.repair ? await repairJournal(dataDir, new Date()) : await checkJournal(dataDir)));
  }
  const ok = checks.every((c) => c.status === 'OK');
  if (opts.json) {
    io.out(stableJson({ target, ok, checks }));
  } else {
    const scope = plan
      ? `plan "${plan.name}" (${used.map((p) => p.name).join(', ') || 'no plugin tools'})`
      : 'every plugin';
    io.out(`fleetbench doctor: ${target} target, tools for ${scope}\n\n`);
    io.out(
      table(
        ['STATUS', 'CHECK', 'DETAIL', 'FIX'],
        checks.map((c) => [statusLabel(io, c), c.check, c.detail, c.fix ?? '']),
      ),
    );
    const installAll = installAllCommand(checks, packageManagerOf(release));
    const problems = checks.filter((c) => c.status !== 'OK').length;
    io.out(
      ok
        ? '\nAll checks passed.\n'
        : `\n${problems} problem(s).${installAll ? ` Install what is missing with:\n  ${installAll}` : ''}\n`,
    );
  }
  if (!ok) throw new CliExit(1);
}
