/**
 * The Python tools some tests call (cfn-lint, moto_server) are not npm packages: they come with the machine's
 * Python. A test that needs one fails — never skips — when it is missing, with one line saying how to install it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The tools, the version the tests are written against, and how to install it. */
export const PYTHON_TOOLS = {
  'cfn-lint': { versionArgs: ['--version'], install: 'pip install "cfn-lint==1.51.*"' },
  moto_server: { versionArgs: ['--help'], install: 'pip install "moto[server]==5.2.1"' },
} as const;

export type PythonTool = keyof typeof PYTHON_TOOLS;

/** A required tool is not on PATH (or does not start). */
export class MissingToolError extends Error {
  override readonly name = 'MissingToolError';
}

/**
 * Checks `tool` runs, and returns what its version command printed.
 * @throws MissingToolError `cfn-lint is not installed (…): pip install "cfn-lint==1.51.*", then run npm test again`
 * @example
 * await requireTool('cfn-lint'); // 'cfn-lint 1.51.0'
 */
export async function requireTool(tool: PythonTool, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { versionArgs, install } = PYTHON_TOOLS[tool];
  try {
    const { stdout, stderr } = await run(tool, [...versionArgs], { env, timeout: 60_000 });
    return `${stdout}${stderr}`.trim().split('\n')[0] ?? '';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found on PATH' : `it failed to start: ${(error as Error).message}`;
    throw new MissingToolError(`${tool} is not installed (${why}): ${install}, then run npm test again`, {
      cause: error,
    });
  }
}
