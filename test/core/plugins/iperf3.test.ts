import { describe, expect, it } from 'vitest';
import { PluginOutputError } from '../../../lib/core/errors.js';
import {
  IPERF3_SCRIPT,
  iperf3,
  iperf3CommandFor,
  iperf3OptionsSchema,
} from '../../../lib/core/plugins/iperf3.js';
import { context, fixture, HOSTILE, unitsByName } from './fixtures.js';

type ServerReports = { server_tests: { end: { sum_received: { bits_per_second: number } } }[] };

const options = (input: Record<string, unknown>) => iperf3OptionsSchema.parse({ server: 'host-1', ...input });

describe('Plugin: iperf3', () => {
  describe('Schema: options', () => {
    it('needs only the server host name', () => {
      expect(options({})).toEqual({
        server: 'host-1',
        port: 5201,
        duration: 5,
        parallel: 1,
        reverse: false,
        linger: 3,
      });
    });

    it.each([
      ['a missing server', {}],
      ['an empty server', { server: '' }],
      ['port 0', { server: 'a', port: 0 }],
      ['a port above 65535', { server: 'a', port: 70_000 }],
      ['zero parallel streams', { server: 'a', parallel: 0 }],
      ['reverse as a string', { server: 'a', reverse: 'yes' }],
      ['an unknown key', { server: 'a', udp: true }],
      ['a linger of 0 (the server would quit between two clients)', { server: 'a', linger: 0 }],
    ])('rejects %s', (_, input) => {
      expect(iperf3OptionsSchema.safeParse(input).success).toBe(false);
    });
  });

  describe('Method: command', () => {
    it('passes the options as positional arguments of the constant role script', () => {
      const command = iperf3.command(
        options({ parallel: 4, reverse: true, bind: '10.0.0.5', linger: 7 }),
        context,
      );

      expect(command).toEqual({
        argv: ['sh', '-c', IPERF3_SCRIPT, 'iperf3', 'host-1', '5201', '5', '4', '1', '10.0.0.5', '7'],
      });
    });

    it('keeps a hostile server name and bind address as single argv elements', () => {
      const command = iperf3.command(options({ server: HOSTILE, bind: HOSTILE }), context);

      expect(command).toEqual({
        argv: ['sh', '-c', IPERF3_SCRIPT, 'iperf3', HOSTILE, '5201', '5', '1', '0', HOSTILE, '3'],
      });
    });
  });

  describe('Function: iperf3CommandFor', () => {
    it('fixes the host and server address through env, ahead of the same script', () => {
      const command = iperf3CommandFor(options({}), {
        ...context,
        host: HOSTILE,
        serverAddress: '127.0.0.1',
      });

      expect(command).toEqual({
        argv: [
          'env',
          `FLEETBENCH_HOST=${HOSTILE}`,
          'FLEETBENCH_IPERF3_SERVER=127.0.0.1',
          'sh',
          '-c',
          IPERF3_SCRIPT,
          'iperf3',
          'host-1',
          '5201',
          '5',
          '1',
          '0',
          '',
          '3',
        ],
      });
    });

    it('is also the plugin’s commandFor', () => {
      expect(iperf3.commandFor).toBe(iperf3CommandFor);
    });
  });

  describe('Method: parse', () => {
    it('reads sent and received throughput and retransmits from a real client', () => {
      const metrics = iperf3.parse(fixture('iperf3', 'client'), options({}));

      expect(unitsByName(metrics)).toEqual({
        throughput_sent_mbps: 'Mbit/s',
        throughput_received_mbps: 'Mbit/s',
        retransmits: 'count',
      });
      expect(metrics[0]?.value).toBeGreaterThan(0);
      expect(metrics[1]?.value).toBeGreaterThan(0);
      expect(metrics[2]?.value).toBeGreaterThanOrEqual(0);
    });

    it('reads the same metrics from a real reverse client with parallel streams', () => {
      const metrics = iperf3.parse(
        fixture('iperf3', 'client-reverse'),
        options({ reverse: true, parallel: 2 }),
      );

      expect(metrics.map((m) => m.name)).toEqual([
        'throughput_sent_mbps',
        'throughput_received_mbps',
        'retransmits',
      ]);
    });

    it('reports what a real server received and that it served one client', () => {
      const metrics = iperf3.parse(fixture('iperf3', 'server'), options({}));

      expect(metrics).toEqual([
        { name: 'throughput_received_mbps', value: expect.any(Number), unit: 'Mbit/s' },
        { name: 'clients_served', value: 1, unit: 'count' },
      ]);
      expect(metrics[0]?.value).toBeGreaterThan(0);
    });

    it('reports what a real server sent when the test was reversed', () => {
      const metrics = iperf3.parse(fixture('iperf3', 'server-reverse'), options({ reverse: true }));

      expect(metrics.map((m) => m.name)).toEqual(['throughput_sent_mbps', 'retransmits', 'clients_served']);
      expect(metrics[0]?.value).toBeGreaterThan(0);
    });

    it('averages the rates of a real server that served two clients in turn', () => {
      const output = fixture('iperf3', 'server-two-clients');
      const { server_tests: tests } = JSON.parse(output.stdout) as ServerReports;
      const rates = tests.map((t) => t.end.sum_received.bits_per_second / 1e6);

      const metrics = iperf3.parse(output, options({}));

      expect(tests).toHaveLength(2);
      expect(metrics).toEqual([
        {
          name: 'throughput_received_mbps',
          value: expect.closeTo((rates[0] ?? 0) / 2 + (rates[1] ?? 0) / 2, 6),
          unit: 'Mbit/s',
        },
        { name: 'clients_served', value: 2, unit: 'count' },
      ]);
    });

    it('still reads the bare report of a plain `iperf3 -s -1 -J` server', () => {
      const { server_tests: tests } = JSON.parse(fixture('iperf3', 'server').stdout) as ServerReports;
      const bare = { stdout: JSON.stringify(tests[0]), stderr: '', exitCode: 0 };

      expect(iperf3.parse(bare, options({})).map((m) => m.name)).toEqual([
        'throughput_received_mbps',
        'clients_served',
      ]);
    });

    it.each([
      ['served nobody', () => ({ server_tests: [] }), /^iperf3: the server served no client/],
      [
        'holds a client report',
        () => ({ server_tests: [JSON.parse(fixture('iperf3', 'client').stdout)] }),
        /^iperf3: server_tests holds a client report/,
      ],
      [
        'had a round that failed',
        () => {
          const reports = JSON.parse(fixture('iperf3', 'server-two-clients').stdout) as ServerReports;
          return {
            server_tests: [
              reports.server_tests[0],
              { ...reports.server_tests[1], error: 'the client has terminated' },
            ],
          };
        },
        /^iperf3: reported an error: the client has terminated/,
      ],
    ])('throws when the server %s', (_, report, message) => {
      const output = { stdout: JSON.stringify(report()), stderr: '', exitCode: 1 };

      expect(() => iperf3.parse(output, options({}))).toThrow(message);
    });

    it('converts bits per second to Mbit/s', () => {
      const output = fixture('iperf3', 'client');
      const report = JSON.parse(output.stdout) as { end: { sum_sent: { bits_per_second: number } } };

      const metrics = iperf3.parse(output, options({}));

      expect(metrics[0]?.value).toBeCloseTo(report.end.sum_sent.bits_per_second / 1e6);
    });

    it('throws iperf3’s own error when the client never reached a server', () => {
      const act = () => iperf3.parse(fixture('iperf3', 'no-server'), options({}));

      expect(act).toThrow(PluginOutputError);
      expect(act).toThrow(
        /^iperf3: reported an error: unable to connect to server: Connection refused \(exit code 1/,
      );
    });

    it('throws on a truncated report', () => {
      expect(() => iperf3.parse(fixture('iperf3', 'client-truncated'), options({}))).toThrow(
        /^iperf3: JSON report on stdout is truncated or malformed/,
      );
    });

    it('throws on a zero throughput rather than reporting it', () => {
      const real = fixture('iperf3', 'server');
      const report = JSON.parse(real.stdout) as ServerReports;
      for (const test of report.server_tests) test.end.sum_received.bits_per_second = 0;

      expect(() => iperf3.parse({ ...real, stdout: JSON.stringify(report) }, options({}))).toThrow(
        /^iperf3: sum_received\.bits_per_second is 0, expected a positive number/,
      );
    });
  });

  describe('Method: measuredDurationMs', () => {
    it('backfills the test duration', () => {
      expect(iperf3.measuredDurationMs?.(fixture('iperf3', 'client'), options({ duration: 1 }))).toBeCloseTo(
        1000,
        -2,
      );
    });

    it('leaves a server that served several clients to its wall time', () => {
      expect(
        iperf3.measuredDurationMs?.(fixture('iperf3', 'server-two-clients'), options({})),
      ).toBeUndefined();
    });

    it('returns undefined for an error report', () => {
      expect(iperf3.measuredDurationMs?.(fixture('iperf3', 'no-server'), options({}))).toBeUndefined();
    });
  });
});
