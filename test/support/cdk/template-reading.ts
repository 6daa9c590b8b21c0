/**
 * Reading a synthesized template the way the infra tests assert on it: the logical id behind a construct's
 * ARN, every statement a role's policies allow, and a CloudFormation value (Fn::Join, Fn::GetAtt, Ref)
 * flattened to text with references as `<LogicalId.Attribute>`.
 */
import type { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';

export type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };
export type Resource = { Type: string; Properties: Record<string, unknown> };
type GetAtt = { 'Fn::GetAtt': [string, string] };

/** The logical id of the resource an ARN token (`fn.functionArn`, `role.roleArn`) points at. */
export function logicalIdOf(stack: Stack, arn: string): string {
  const resolved = stack.resolve(arn) as Partial<GetAtt>;
  const id = resolved['Fn::GetAtt']?.[0];
  if (!id) throw new Error(`not a GetAtt: ${JSON.stringify(resolved)}`);
  return id;
}

/** Every statement of the policies attached to the role `roleArn` (a `{Fn::GetAtt: [role, 'Arn']}`) names. */
export function roleStatements(template: Template, roleArn: unknown): Statement[] {
  const role = JSON.stringify((roleArn as GetAtt)['Fn::GetAtt'][0]);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
  return policies
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** Every statement of the policies attached to a function's role. */
export function functionStatements(template: Template, functionLogicalId: string): Statement[] {
  const fn = template.toJSON().Resources[functionLogicalId] as Resource;
  return roleStatements(template, fn.Properties.Role);
}

export function actions(s: Statement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}

/**
 * A value as deployed: a string or an Fn::Join, references as `<LogicalId.Arn>`, with DefinitionSubstitutions applied.
 * @example
 * flatten({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }]] }); // → 'arn:<AWS::Partition>'
 */
export function flatten(value: unknown, substitutions: Record<string, unknown> = {}): string {
  const flat = (node: unknown): string => {
    if (typeof node === 'string') return node;
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(flat).join(sep);
    }
    if (Array.isArray(o['Fn::GetAtt'])) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if (o.Ref !== undefined) return `<${String(o.Ref)}>`;
    throw new Error(`unexpected ${JSON.stringify(node)}`);
  };
  let text = flat(value);
  for (const [name, sub] of Object.entries(substitutions)) text = text.replaceAll(`\${${name}}`, flat(sub));
  return text;
}
