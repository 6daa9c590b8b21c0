/**
 * What `fleetbench doctor` checks before a run, so a missing tool is found in a second instead of as a
 * FAILED task ten minutes into a campaign. The local target's checks: Node.js is new enough, the data
 * directory is writable, and every tool the plugins need (their `requires`: binary → Debian / Amazon
 * Linux package) is on the PATH the local hosts' commands will use.
 *
 * Checks are grouped per target in DOCTOR_TARGETS; the aws target's (region, credentials, the deployed
 * stack, SSM reachability of the plan's hosts) are in doctor-aws.ts.
 */
import { constants } from 'node:fs';
import { access, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Plan } from '../core/plan.js';
import type { WorkloadPlugin } from '../core/plugins/types.js';
import type { Target } from '../core/run.js';
import type { DoctorCheck } from './doctor-check.js';

export const MIN_NODE_MAJOR = 20;

/** What sh -c uses when PATH is unset (glibc's confstr(_CS_PATH) plus the sbin directories). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A tool some plugins need; `plugins` names them for the report. */
export type ToolRequirement = {
  readonly binary: string;
  readonly debian: string;
  readonly amazonLinux: string;
  readonly plugins: readonly string[];
};

/** Every command runs under sh, whatever the plugin. */
const SHELL: ToolRequirement = {
  binary: 'sh',
  debian: 'dash',
  amazonLinux: 'bash',
  plugins: ['every command'],
};

/**
 * The tools a set of plugins needs, one entry per binary, `sh` first, then by binary name.
 * @example
 * toolRequirements([fio, iperf3]).map((r) => r.binary); // ['sh', 'fio', 'iperf3']
 */
export function toolRequirements(plugins: readonly WorkloadPlugin[]): ToolRequirement[] {
  const byBinary = new Map<string, ToolRequirement>();
  for (const plugin of plugins) {
    for (const r of plugin.requires) {
      const known = byBinary.get(r.binary);
      byBinary.set(r.binary, {
        binary: r.binary,
        debian: r.debian,
        amazonLinux: r.amazonLinux,
        plugins: [...(known?.plugins ?? []), plugin.name],
      });
    }
  }
  const sorted = [...byBinary.values()].sort((a, b) => (a.binary < b.binary ? -1 : 1));
  return [SHELL, ...sorted];
}

export type PackageManager = 'apt-get' | 'dnf' | 'unknown';

/**
 * Which install command fits this machine, from /etc/os-release (ID and ID_LIKE).
 * @example
 * packageManagerOf('ID=debian\n'); // 'apt-get'
 * packageManagerOf('ID="amzn"\nID_LIKE="fedora"\n'); // 'dnf'
 */
export function packageManagerOf(osRelease: string | undefined): PackageManager {
  const ids = [...(osRelease ?? '').matchAll(/^(?:ID|ID_LIKE)=("?)([^"\n]*)\1$/gm)]
    .flatMap((m) => (m[2] ?? '').split(/\s+/))
    .map((id) => id.toLowerCase());
  if (ids.some((id) => id === 'debian' || id === 'ubuntu')) return 'apt-get';
  if (ids.some((id) => ['amzn', 'fedora', 'rhel', 'centos'].includes(id))) return 'dnf';
  return 'unknown';
}

/**
 * The install command for some tools, in this machine's package manager (both when unknown).
 * @example
 * installCommand('apt-get', [{ binary: 'fio', debian: 'fio', amazonLinux: 'fio', plugins: ['fio'] }]);
 * // 'apt-get install -y fio'
 */
export function installCommand(manager: PackageManager, tools: readonly ToolRequirement[]): string {
  const debian = [...new Set(tools.map((t) => t.debian))].join(' ');
  const amazon = [...new Set(tools.map((t) => t.amazonLinux))].join(' ');
  if (manager === 'apt-get') return `apt-get install -y ${debian}`;
  if (manager === 'dnf') return `dnf install -y ${amazon}`;
  return `apt-get install -y ${debian} (Debian/Ubuntu) or dnf install -y ${amazon} (Amazon Linux)`;
}

/**
 * The Node.js check: major version ≥ 20.
 * @example
 * checkNode('20.11.1'); // { check: 'node', status: 'OK', detail: 'v20.11.1 (needs >= 20)' }
 */
export function checkNode(version: string): DoctorCheck {
  const major = Number.parseInt(version.replace(/^v/, ''), 10);
  const detail = `v${version.replace(/^v/, '')} (needs >= ${MIN_NODE_MAJOR})`;
  return major >= MIN_NODE_MAJOR
    ? { check: 'node', status: 'OK', detail }
    : {
        check: 'node',
        status: 'FAILED',
        detail,
        fix: `install Node.js ${MIN_NODE_MAJOR} or newer (https://nodejs.org)`,
      };
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where a binary is on a PATH, like `command -v`; `undefined` when it is not.
 * @example
 * await findOnPath('fio', '/usr/local/bin:/usr/bin'); // '/usr/bin/fio'
 */
export async function findOnPath(binary: string, path: string): Promise<string | undefined> {
  for (const dir of path.split(':')) {
    const candidate = join(dir === '' ? '.' : dir, binary);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Checks one tool.
 * @example
 * await checkTool(requirement, process.env.PATH ?? DEFAULT_PATH, 'apt-get');
 * // { check: 'fio', status: 'MISSING', detail: 'not on PATH (needed by fio)', fix: 'apt-get install -y fio', packages: ['fio'] }
 */
export async function checkTool(
  tool: ToolRequirement,
  path: string,
  manager: PackageManager,
): Promise<DoctorCheck> {
  const found = await findOnPath(tool.binary, path);
  const neededBy = `needed by ${tool.plugins.join(', ')}`;
  if (found) return { check: tool.binary, status: 'OK', detail: `${found} (${neededBy})` };
  return {
    check: tool.binary,
    status: 'MISSING',
    detail: `not on PATH (${neededBy})`,
    fix: installCommand(manager, [tool]),
    packages: [manager === 'dnf' ? tool.amazonLinux : tool.debian],
  };
}

/**
 * The data directory check: writable if it exists (a probe file is written and removed), creatable if
 * it does not (its nearest existing ancestor is a writable directory).
 * @example
 * await checkDataDir('/home/me/bench/.fleetbench'); // { check: 'data dir', status: 'OK', detail: '… is writable' }
 */
export async function checkDataDir(dataDir: string): Promise<DoctorCheck> {
  const fix = 'pass a writable --data-dir, set FLEETBENCH_HOME, or fix the permissions';
  let dir = dataDir;
  let exists = true;
  for (;;) {
    try {
      const info = await stat(dir);
      if (!info.isDirectory()) {
        return { check: 'data dir', status: 'FAILED', detail: `${dataDir}: ${dir} is not a directory`, fix };
      }
      break;
    } catch (error) {
      // ENOTDIR: a file is in the way further up; walking up names it.
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(dir) === dir) {
        return {
          check: 'data dir',
          status: 'FAILED',
          detail: `${dataDir}: ${(error as Error).message}`,
          fix,
        };
      }
      exists = false;
      dir = dirname(dir);
    }
  }
  try {
    if (exists) {
      const probe = join(dir, `.doctor-${process.pid}-${Date.now()}`);
      await writeFile(probe, '');
      await rm(probe, { force: true });
      return { check: 'data dir', status: 'OK', detail: `${dataDir} is writable` };
    }
    await access(dir, constants.W_OK);
    return {
      check: 'data dir',
      status: 'OK',
      detail: `${dataDir} does not exist yet; ${dir} is writable, so it can be created`,
    };
  } catch (error) {
    return {
      check: 'data dir',
      status: 'FAILED',
      detail: `${dataDir} is not writable: ${(error as Error).message}`,
      fix,
    };
  }
}

export type LocalCheckContext = {
  readonly nodeVersion: string;
  readonly dataDir: string;
  /** The PATH the local hosts' commands run with. */
  readonly path: string;
  /** /etc/os-release, to pick apt-get or dnf for the fixes. */
  readonly osRelease: string | undefined;
  /** The plugins whose tools to check: the plan's, or every plugin. */
  readonly plugins: readonly WorkloadPlugin[];
  /** aws: the stack to check, its region, and the plan whose hosts to check. */
  readonly stackName?: string;
  readonly region?: string;
  readonly plan?: Plan;
};

/**
 * Every check of the local target, in the order they print.
 * @example
 * const checks = await localChecks({ nodeVersion: process.versions.node, dataDir, path, osRelease, plugins });
 */
export async function localChecks(context: LocalCheckContext): Promise<DoctorCheck[]> {
  const manager = packageManagerOf(context.osRelease);
  const tools = await Promise.all(
    toolRequirements(context.plugins).map((tool) => checkTool(tool, context.path, manager)),
  );
  return [checkNode(context.nodeVersion), await checkDataDir(context.dataDir), ...tools];
}

/** The checks of each target. */
export const DOCTOR_TARGETS: Record<Target, (context: LocalCheckContext) => Promise<DoctorCheck[]>> = {
  local: localChecks,
  // The AWS SDK clients load for the aws target only.
  aws: async (context) =>
    (await import('./doctor-aws.js')).awsChecks({
      ...(context.stackName !== undefined ? { stackName: context.stackName } : {}),
      ...(context.region !== undefined ? { region: context.region } : {}),
      ...(context.plan !== undefined ? { plan: context.plan } : {}),
    }),
};

/**
 * One install line for everything missing, or `undefined` when nothing is.
 * @example
 * installAllCommand(checks, 'apt-get'); // 'apt-get install -y fio iperf3'
 */
export function installAllCommand(
  checks: readonly DoctorCheck[],
  manager: PackageManager,
): string | undefined {
  const packages = [...new Set(checks.flatMap((c) => c.packages ?? []))];
  if (packages.length === 0) return undefined;
  if (manager === 'unknown') return undefined;
  return `${manager} install -y ${packages.join(' ')}`;
}
