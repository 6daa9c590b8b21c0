/**
 * `fleetbench doctor --target aws`: can this machine drive the deployed stack, and can the stack reach
 * the plan's hosts? Region, credentials, the stack and its outputs, then — with `--plan` — each host's
 * SSM reachability (resolved exactly as Plan run resolves them), each with the fix when it fails.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { connectStack, type DeployedStack } from '../adapters/aws/deployed-stack.js';
import { Ec2HostProvider } from '../adapters/aws/ec2-host-provider.js';
import { FleetbenchError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import type { HostProvider } from '../core/ports.js';
import type { DoctorCheck } from './doctor-check.js';

export type AwsCheckOptions = {
  readonly stackName?: string;
  /** The region the command resolved (AWS_REGION, AWS_DEFAULT_REGION); unset, the SDK's own chain. */
  readonly region?: string;
  readonly plan?: Plan;
  /** Seams for tests; the defaults reach the real account. */
  readonly connect?: (options: {
    stackName?: string;
    region?: string;
  }) => Promise<Pick<DeployedStack, 'stackName' | 'outputs' | 'close'>>;
  readonly hostProvider?: () => HostProvider;
};

export async function awsChecks(options: AwsCheckOptions): Promise<DoctorCheck[]> {
  const connect = options.connect ?? connectStack;
  const region = options.region === undefined ? {} : { region: options.region };
  let stack: Pick<DeployedStack, 'stackName' | 'outputs' | 'close'>;
  try {
    stack = await connect({
      ...(options.stackName === undefined ? {} : { stackName: options.stackName }),
      ...region,
    });
  } catch (error) {
    if (!(error instanceof FleetbenchError)) throw error;
    return [
      {
        check: 'aws access',
        status: 'FAILED',
        detail: error.message,
        ...(error.hint ? { fix: error.hint } : {}),
      },
    ];
  }
  const checks: DoctorCheck[] = [
    { check: 'aws access', status: 'OK', detail: 'region and credentials found' },
    {
      check: `stack ${stack.stackName}`,
      status: 'OK',
      detail: `deployed; state machine ${stack.outputs.stateMachineArn.split(':').at(-1) ?? ''}`,
    },
  ];
  // The host checks' clients, made only when the plan names EC2 hosts, for the same region as the stack's.
  const clients: { destroy(): void }[] = [];
  try {
    const hosts = options.plan?.hosts;
    if (!hosts) return checks;
    if ('local' in hosts) {
      return [
        ...checks,
        {
          check: 'hosts',
          status: 'FAILED',
          detail: 'the plan has local hosts',
          fix: 'use hosts: {instanceIds: [...]} or {tags: {...}}',
        },
      ];
    }
    if ('provision' in hosts) {
      return [
        ...checks,
        {
          check: 'hosts',
          status: 'OK',
          detail: `${hosts.provision.count} host(s) will be launched for the run`,
        },
      ];
    }
    const provider = options.hostProvider?.() ?? ec2HostProvider(region, clients);
    const resolved = await provider.resolve('doctor', hosts);
    if (resolved.length === 0) {
      return [
        ...checks,
        {
          check: 'hosts',
          status: 'FAILED',
          detail: 'no running instance matches the plan',
          fix: 'start the instances, or fix the tags/ids in the plan',
        },
      ];
    }
    const { reachable, unreachable } = await provider.checkConnectivity(resolved);
    return [
      ...checks,
      ...reachable.map(
        (h): DoctorCheck => ({ check: `host ${h.name}`, status: 'OK', detail: `${h.id} is Online in SSM` }),
      ),
      ...unreachable.map(
        (u): DoctorCheck => ({
          check: `host ${u.host.name}`,
          status: 'FAILED',
          detail: u.reason,
          fix: 'run the SSM agent with an instance profile that has AmazonSSMManagedInstanceCore, and tag the instance fleetbench=true',
        }),
      ),
    ];
  } finally {
    for (const client of clients) client.destroy();
    stack.close();
  }
}

/** The EC2 host provider Plan run uses, on clients for `region`; `clients` collects them to be closed. */
function ec2HostProvider(region: { region?: string }, clients: { destroy(): void }[]): HostProvider {
  const ec2 = new EC2Client(region);
  const ssm = new SSMClient(region);
  clients.push(ec2, ssm);
  return new Ec2HostProvider({ ec2, ssm });
}
