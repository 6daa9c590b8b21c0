/** Reads and validates a plan file; an unreadable file is a plan error like any other (exit 2). */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PlanValidationError } from '../core/errors.js';
import { type Plan, parsePlan } from '../core/plan.js';
import { plugins } from '../core/plugins/index.js';

export async function readPlanFile(path: string, cwd: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : `cannot read (${code ?? String(error)})`;
    throw new PlanValidationError(`plan file ${why}`, path, {
      hint: 'pass the path of a YAML or JSON plan, e.g. examples/quickstart.yaml',
    });
  }
  return parsePlan(text, path, plugins);
}
