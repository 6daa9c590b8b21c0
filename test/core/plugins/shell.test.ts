import { describe, expect, it } from 'vitest';
import { PluginOutputError } from '../../../lib/core/errors.js';
import { shell, shellOptionsSchema } from '../../../lib/core/plugins/shell.js';
import { context, fixture, HOSTILE } from './fixtures.js';

const options = (input: Record<string, unknown>) => shellOptionsSchema.parse({ command: 'true', ...input });
const out = (stdout: string) => ({ stdout, stderr: '', exitCode: 0 });

describe('Plugin: shell', () => {
  describe('Method: command', () => {
    it('passes the user script through unchanged, as a script rather than an argv', () => {
      const command = shell.command(options({ command: `my-bench --name ${HOSTILE}` }), context);

      expect(command).toEqual({ script: `my-bench --name ${HOSTILE}` });
    });
  });

  describe('Schema: options', () => {
    it('defaults expectMetrics to false and leaves metrics unset', () => {
      expect(shellOptionsSchema.parse({ command: 'echo hi' })).toEqual({
        command: 'echo hi',
        expectMetrics: false,
      });
    });

    it('fills regex and units with empty maps when metrics is given', () => {
      expect(options({ metrics: {} }).metrics).toEqual({ regex: {}, units: {} });
    });

    it.each([
      ['a missing command', {}],
      ['an empty command', { command: '  ' }],
      ['an unknown key', { command: 'x', timeout: 5 }],
      ['an unknown key in metrics', { command: 'x', metrics: { regex: {}, unit: {} } }],
      ['a non-boolean expectMetrics', { command: 'x', expectMetrics: 'yes' }],
      ['a regex without a capture group', { command: 'x', metrics: { regex: { ops: 'ops: \\d+' } } }],
      ['a regex with two capture groups', { command: 'x', metrics: { regex: { ops: '(\\d+) (\\d+)' } } }],
      ['an invalid regex', { command: 'x', metrics: { regex: { ops: '(\\d+' } } }],
      [
        'a metric name that is not snake_case',
        { command: 'x', metrics: { regex: { 'Ops-Total': '(\\d+)' } } },
      ],
    ])('rejects %s', (_, input) => {
      expect(shellOptionsSchema.safeParse(input).success).toBe(false);
    });

    it('accepts a regex with a named group "value" among other groups', () => {
      const parsed = shellOptionsSchema.safeParse({
        command: 'x',
        metrics: { regex: { rate: '(copied), (?<value>[\\d.]+) s' } },
      });

      expect(parsed.success).toBe(true);
    });
  });

  describe('Method: parse', () => {
    it('reads every numeric field of the JSON object on the last stdout line', () => {
      const metrics = shell.parse(fixture('shell', 'json-line'), options({}));

      expect(metrics).toEqual([
        { name: 'ops_per_s', value: 1234.5, unit: '' },
        { name: 'p99', value: 3.5, unit: 'ms' },
      ]);
    });

    it('takes units from options.metrics.units over the object’s own', () => {
      const metrics = shell.parse(
        fixture('shell', 'json-line'),
        options({ metrics: { units: { ops_per_s: 'ops/s', p99: 'us' } } }),
      );

      expect(metrics).toEqual([
        { name: 'ops_per_s', value: 1234.5, unit: 'ops/s' },
        { name: 'p99', value: 3.5, unit: 'us' },
      ]);
    });

    it('extracts regex metrics from real dd output, with a plain or a named group', () => {
      const metrics = shell.parse(
        fixture('shell', 'dd'),
        options({
          metrics: {
            regex: { bytes: '^(\\d+) bytes', seconds: 'copied, (?<value>[\\d.]+) s' },
            units: { bytes: 'B', seconds: 's' },
          },
          expectMetrics: true,
        }),
      );

      expect(metrics).toEqual([
        { name: 'bytes', value: 67108864, unit: 'B' },
        { name: 'seconds', value: expect.any(Number), unit: 's' },
      ]);
      expect(metrics[1]?.value).toBeGreaterThan(0);
    });

    it('uses the last match of a regex, so progress lines before the summary do not count', () => {
      const metrics = shell.parse(
        out('ops: 1\nops: 2\nops: 30\n'),
        options({ metrics: { regex: { ops: '^ops: (\\d+)$' } } }),
      );

      expect(metrics).toEqual([{ name: 'ops', value: 30, unit: '' }]);
    });

    it('lets a regex metric replace a JSON field of the same name', () => {
      const metrics = shell.parse(
        out('ops=7\n{"ops": 1, "other": 2}\n'),
        options({ metrics: { regex: { ops: 'ops=(\\d+)' } } }),
      );

      expect(metrics).toEqual([
        { name: 'ops', value: 7, unit: '' },
        { name: 'other', value: 2, unit: '' },
      ]);
    });

    it('returns no metrics for plain output when none are expected', () => {
      expect(shell.parse(out('done\n'), options({}))).toEqual([]);
    });

    it('throws when expectMetrics is set and stdout has none', () => {
      expect(() => shell.parse(out('done\n'), options({ expectMetrics: true }))).toThrow(
        /^shell: expectMetrics is set but stdout has no JSON object on its last line/,
      );
    });

    it('throws on a truncated JSON last line instead of ignoring it', () => {
      const act = () => shell.parse(fixture('shell', 'json-line-truncated'), options({}));

      expect(act).toThrow(PluginOutputError);
      expect(act).toThrow(/^shell: the last stdout line starts with "\{" but is not valid JSON/);
    });

    it('throws when a declared regex matches nothing', () => {
      const act = () =>
        shell.parse(out('nothing here\n'), options({ metrics: { regex: { ops: 'ops=(\\d+)' } } }));

      expect(act).toThrow(/^shell: metric ops: \/ops=\(\\d\+\)\/ matches nothing on stdout/);
    });

    it('throws when a regex captures something that is not a number', () => {
      const act = () =>
        shell.parse(out('ops=fast\n'), options({ metrics: { regex: { ops: 'ops=(\\w+)' } } }));

      expect(act).toThrow(/captured "fast", not a number/);
    });
  });

  describe('Method: estimateSeconds', () => {
    it('cannot know how long a user script takes and says 0', () => {
      expect(shell.estimateSeconds(options({}))).toBe(0);
    });
  });
});
