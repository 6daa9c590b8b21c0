import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/infra/fleetbench-function.js';

const dir = join(PROJECT_ROOT, 'statemachines');
const files = readdirSync(dir).filter((f) => f.endsWith('.asl.json'));

describe('statemachines/', () => {
  it('holds at least the run workflow', () => {
    expect(files).toContain('run.asl.json');
  });

  it.each(files)('%s is valid Amazon States Language', (file) => {
    const definition: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));

    const { isValid, errorsText } = aslValidator(structuredClone(definition));

    expect(isValid, errorsText('\n')).toBe(true);
  });
});
