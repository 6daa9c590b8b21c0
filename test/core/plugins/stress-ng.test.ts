import { describe, expect, it } from 'vitest';
import { PluginOutputError } from '../../../lib/core/errors.js';
import { STRESS_NG_SCRIPT, stressNg, stressNgOptionsSchema } from '../../../lib/core/plugins/stress-ng.js';
import { context, fixture, HOSTILE, unitsByName } from './fixtures.js';

const options = (input: Record<string, unknown>) =>
  stressNgOptionsSchema.parse({ stressor: 'cpu', ...input });

describe('Plugin: stress-ng', () => {
  describe('Schema: options', () => {
    it('runs one worker for 10 seconds by default', () => {
      expect(stressNgOptionsSchema.parse({ stressor: 'cpu' })).toEqual({
        stressor: 'cpu',
        workers: 1,
        timeout: 10,
      });
    });

    it.each([
      ['10s', 10],
      ['2m', 120],
      ['1m30s', 90],
      [45, 45],
    ])('normalises the timeout %j to %i seconds', (timeout, seconds) => {
      expect(options({ timeout }).timeout).toBe(seconds);
    });

    it('accepts its own output again, so a stored plan re-validates', () => {
      const once = options({ timeout: '2m', workers: 0, extraArgs: ['--vm', '1'] });

      expect(stressNgOptionsSchema.parse(once)).toEqual(once);
    });

    it.each([
      ['a missing stressor', { workers: 1 }],
      ['a stressor with shell characters', { stressor: HOSTILE }],
      ['an upper-case stressor', { stressor: 'CPU' }],
      ['negative workers', { stressor: 'cpu', workers: -1 }],
      ['fractional workers', { stressor: 'cpu', workers: 1.5 }],
      ['a zero timeout (stress-ng would run forever)', { stressor: 'cpu', timeout: '0s' }],
      ['a sub-second timeout', { stressor: 'cpu', timeout: '500ms' }],
      ['a timeout that is not a duration', { stressor: 'cpu', timeout: '10x' }],
      ['extraArgs that are not strings', { stressor: 'cpu', extraArgs: [1] }],
      ['an unknown key', { stressor: 'cpu', metrics: true }],
    ])('rejects %s', (_, input) => {
      expect(stressNgOptionsSchema.safeParse(input).success).toBe(false);
    });
  });

  describe('Method: command', () => {
    it('runs stress-ng through the constant report script', () => {
      const command = stressNg.command(options({ workers: 2, timeout: '1m' }), context);

      expect(command).toEqual({
        argv: [
          'sh',
          '-c',
          STRESS_NG_SCRIPT,
          'stress-ng',
          '--cpu',
          '2',
          '--timeout',
          '60s',
          '--metrics-brief',
        ],
      });
    });

    it('keeps hostile extra arguments as single argv elements after its own', () => {
      const command = stressNg.command(options({ extraArgs: [HOSTILE, '--vm', '1'] }), context);

      expect('argv' in command && command.argv.slice(-3)).toEqual([HOSTILE, '--vm', '1']);
    });
  });

  describe('Method: parse', () => {
    it('reads bogo ops and both rates of a real single-stressor run, without a suffix', () => {
      const metrics = stressNg.parse(fixture('stress-ng', 'cpu'), options({}));

      expect(unitsByName(metrics)).toEqual({
        bogo_ops: 'ops',
        bogo_ops_per_s_real: 'ops/s',
        bogo_ops_per_s_cpu: 'ops/s',
      });
      for (const m of metrics) expect(m.value).toBeGreaterThan(0);
    });

    it('suffixes every name with its stressor when the report has several', () => {
      const metrics = stressNg.parse(fixture('stress-ng', 'cpu-vm'), options({ extraArgs: ['--vm', '1'] }));

      expect(metrics.map((m) => m.name)).toEqual([
        'bogo_ops_cpu',
        'bogo_ops_per_s_real_cpu',
        'bogo_ops_per_s_cpu_cpu',
        'bogo_ops_vm',
        'bogo_ops_per_s_real_vm',
        'bogo_ops_per_s_cpu_vm',
      ]);
      for (const m of metrics) expect(m.value).toBeGreaterThan(0);
    });

    it('throws on a truncated report', () => {
      const act = () => stressNg.parse(fixture('stress-ng', 'cpu-truncated'), options({}));

      expect(act).toThrow(PluginOutputError);
      expect(act).toThrow(/^stress-ng: no complete YAML report on stdout \(missing the closing "\.\.\."\)/);
    });

    it('throws with stress-ng’s own complaint for an unknown stressor', () => {
      expect(() => stressNg.parse(fixture('stress-ng', 'nosuch'), options({ stressor: 'nosuch' }))).toThrow(
        `stress-ng: no complete YAML report on stdout (missing the closing "...") (exit code 1; stderr: "stress-ng: unrecognized option '--nosuch'")`,
      );
    });

    it('throws when the report lacks the configured stressor', () => {
      expect(() => stressNg.parse(fixture('stress-ng', 'cpu'), options({ stressor: 'vm' }))).toThrow(
        /^stress-ng: report has no metrics for stressor vm \(found: cpu\)/,
      );
    });

    it('throws on zero bogo ops rather than reporting them', () => {
      const real = fixture('stress-ng', 'cpu');
      const zeroed = { ...real, stdout: real.stdout.replace(/bogo-ops: \d+/, 'bogo-ops: 0') };

      expect(() => stressNg.parse(zeroed, options({}))).toThrow(
        /cpu bogo-ops is 0, expected a positive number/,
      );
    });

    it('throws when the metrics section is missing (stress-ng run without --metrics-brief)', () => {
      const real = fixture('stress-ng', 'cpu');
      const withoutMetrics = { ...real, stdout: real.stdout.replace(/metrics:[\s\S]*$/, '...\n') };

      expect(() => stressNg.parse(withoutMetrics, options({}))).toThrow(
        /YAML report has no "metrics" section/,
      );
    });
  });

  describe('Method: measuredDurationMs', () => {
    it('reports the longest stressor wall-clock time', () => {
      const ms = stressNg.measuredDurationMs?.(fixture('stress-ng', 'cpu-vm'), options({}));

      expect(ms).toBeGreaterThan(900);
      expect(ms).toBeLessThan(2000);
    });

    it('returns undefined for unusable output', () => {
      expect(stressNg.measuredDurationMs?.(fixture('stress-ng', 'nosuch'), options({}))).toBeUndefined();
    });
  });

  describe('Method: estimateSeconds', () => {
    it('is the timeout plus start-up', () => {
      expect(stressNg.estimateSeconds(options({ timeout: '1m' }))).toBe(61);
    });
  });
});
