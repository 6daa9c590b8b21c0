/**
 * Evaluates recorded requests against a resolved stack's policies with @cloud-copilot/iam-simulate
 * (AWS's evaluation logic: identity and resource policies, conditions, wildcards). Test-only: the
 * simulator is AGPL and a devDependency, never imported by lib/, lambdas/ or bin/.
 */
import {
  isWildcardOnlyAction,
  runSimulation,
  runUnsafeSimulation,
  type Simulation,
} from '@cloud-copilot/iam-simulate';
import type { IamRequest, Principal } from './requests.js';
import { ACCOUNT, type PolicyDocument, type ResolvedStack } from './stack-policies.js';

export type Verdict = { readonly request: IamRequest; readonly result: string; readonly detail?: string };

/** One line naming who was refused what, for a failing assertion. */
export function describeDenial(v: Verdict): string {
  const { principal, action, resource, context } = v.request;
  const keys = Object.keys(context).length > 0 ? ` with ${JSON.stringify(context)}` : '';
  return `${principal} ${v.result}: ${action} on ${resource}${keys}${v.detail ? ` (${v.detail})` : ''}`;
}

/** Every request once (the workflow repeats the same ones per host and step). */
export function distinct(requests: readonly IamRequest[]): IamRequest[] {
  const seen = new Map<string, IamRequest>();
  for (const r of requests) seen.set(JSON.stringify([r.principal, r.action, r.resource, r.context]), r);
  return [...seen.values()];
}

export async function evaluate(stack: ResolvedStack, request: IamRequest): Promise<Verdict> {
  const principal = stack.principals[request.principal];
  if (!principal) return { request, result: 'UnknownPrincipal' };
  const simulation: Simulation = {
    request: {
      principal: principal.arn,
      action: request.action,
      resource: { resource: request.resource, accountId: ACCOUNT },
      // Every SDK request goes over TLS (the bucket policy denies the others).
      contextVariables: { 'aws:SecureTransport': 'true', ...request.context } as Record<
        string,
        string | string[]
      >,
    },
    identityPolicies: principal.identityPolicies.map((p) => ({ name: p.name, policy: p.policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...resourcePolicy(stack.resourcePolicyFor(request.resource)),
  };
  const [service = '', action = ''] = request.action.split(':');
  // states:SendTask* are wildcard-only in the Service Authorization Reference, yet Step Functions
  // evaluates them against the token's state machine (see requests.ts): the validating entry point would
  // refuse that ARN, so these go through the non-validating one.
  if (request.resource !== '*' && (await isWildcardOnlyAction(service, action))) {
    return { request, result: runUnsafeSimulation(simulation, {}) };
  }
  const response = await runSimulation(simulation, {});
  // AWS-owned resources have no account in their ARN (`arn:aws:ssm:<region>::document/AWS-RunShellScript`),
  // which the reference's ARN patterns do not accept; the evaluation itself is the same.
  if (response.resultType === 'error' && /:[a-z0-9-]+::/.test(request.resource))
    return { request, result: runUnsafeSimulation(simulation, {}) };
  if (response.resultType === 'error')
    return { request, result: 'Invalid', detail: JSON.stringify(response.errors) };
  return { request, result: response.overallResult };
}

function resourcePolicy(policy: PolicyDocument | undefined): { resourcePolicy?: PolicyDocument } {
  return policy ? { resourcePolicy: policy } : {};
}

/** Each principal's granted actions (explicit, as the policies list them), to compare with the used ones. */
export function grantedActions(stack: ResolvedStack, principal: Principal): Set<string> {
  const actions = new Set<string>();
  for (const { policy } of stack.principals[principal]?.identityPolicies ?? [])
    for (const statement of policy.Statement)
      if (statement.Effect === 'Allow') for (const a of [statement.Action].flat()) actions.add(a);
  return actions;
}
