/**
 * `fleetbench doctor`: is this machine ready to run a plan? One line per check (OK / MISSING / FAILED)
 * with the fix, then one install command for everything missing; exit 1 when any check fails.
 * `--plan FILE` limits the tool checks to the plugins the plan uses.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { plugins as registry } from '../../core/plugins/index.js';
import type { WorkloadPlugin } from '../../core/plugins/types.js';
import { stableJson } from '../../core/report/stable-json.js';
import type { Target } from '../../core/run.js';
import { awsLocation } from '../backend.js';
import { dataDirOf, globalOptions } from '../context.js';
import type { DoctorCheck } from '../doctor-check.js';
import { DEFAULT_PATH, DOCTOR_TARGETS, installAllCommand, packageManagerOf } from '../doctor-checks.js';
import { checkJournal, repairJournal } from '../doctor-journal.js';
import { CliExit, type Io } from '../io.js';
import { readPlanFile } from '../plan-file.js';

type DoctorOptions = { target: string; stack?: string; plan?: string; json?: boolean; repair?: boolean };

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

export function registerDoctorCommand(program: Command, io: Io): void {
  program
    .command('doctor')
    .description(
      'check this machine is ready: Node.js version, a writable data directory, and the tools the plugins need (with the install command)',
    )
    .option(
      '--target <target>',
      "local (this machine) or aws (the deployed stack and the plan's EC2 hosts)",
      'local',
    )
    .option('--stack <name>', 'aws: the stack name (default Fleetbench)')
    .option('--plan <file>', "check only the tools this plan's plugins need")
    .option('--json', 'print {target, ok, checks: [{check, status, detail, fix}]} as JSON')
    .option(
      '--repair',
      'local: move a damaged journal database aside and rebuild every run from its events and run.json',
    )
    .action(async (opts: DoctorOptions, command: Command) => {
      const target = targetOf(opts.target);
      const plan = opts.plan === undefined ? undefined : await readPlanFile(opts.plan, io.cwd);
      const used: WorkloadPlugin[] = plan
        ? [...new Set(plan.workloads.map((w) => w.plugin))].flatMap((name) => registry.get(name) ?? [])
        : registry.names().flatMap((name) => registry.get(name) ?? []);
      const release = await osRelease();
      const dataDir = dataDirOf(io, globalOptions(command));
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
        checks.push(
          ...(opts.repair ? await repairJournal(dataDir, new Date()) : await checkJournal(dataDir)),
        );
      }
      const ok = checks.every((c) => c.status === 'OK');
      if (opts.json) {
        io.out(stableJson({ target, ok, checks }));
      } else {
        const scope = plan
          ? `plan "${plan.name}" (${used.map((p) => p.name).join(', ') || 'no plugin tools'})`
          : 'every plugin';
        io.out(`fleetbench doctor: ${target} target, tools for ${scope}\n\n`);
        const { table } = await import('../table.js');
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
    });
}
