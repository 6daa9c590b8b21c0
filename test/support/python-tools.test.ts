import { describe, expect, it } from 'vitest';
import { MissingToolError, requireTool } from './python-tools.js';

describe('requireTool', () => {
  it.each([
    ['cfn-lint', 'pip install "cfn-lint==1.51.*"'],
    ['moto_server', 'pip install "moto[server]==5.2.1"'],
  ] as const)('fails with one line saying how to install %s when it is not on PATH', async (tool, install) => {
    const error = await requireTool(tool, { PATH: '/nonexistent' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MissingToolError);
    expect((error as Error).message).toBe(
      `${tool} is not installed (not found on PATH): ${install}, then run npm test again`,
    );
  });

  it('answers with the version line of a tool that is installed', async () => {
    expect(await requireTool('cfn-lint')).toMatch(/^cfn-lint 1\.51\./);
  });
});
