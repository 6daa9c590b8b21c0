/**
 * cdk-nag acknowledgements that name exactly what they accept. cdk-nag 3 reports an IAM wildcard as one
 * finding per resource, `AwsSolutions-IAM5[Resource::<flattened ARN>]`, with CloudFormation references
 * flattened (`<LogicalId.Arn>`); these helpers build that id from the ARN token itself, so an
 * acknowledgement follows the resource it is about instead of a copied logical id.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** cdk-nag's flattening of a resolved CloudFormation value (Fn::Join, Fn::GetAtt, Ref, Fn::Sub). */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (o['Fn::Sub'] !== undefined) return flatten(o['Fn::Sub']);
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if (o.Ref !== undefined) return `<${flatten(o.Ref)}>`;
  }
  return JSON.stringify(node);
}

/** The AwsSolutions-IAM5 finding id of a wildcard resource (an ARN string or token). */
export function wildcardResourceFinding(scope: IConstruct, arn: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(arn))}]`;
}

/**
 * Acknowledges the IAM5 findings of the given wildcard resources on `scope` (a role or a policy), with a reason.
 * @example
 * acknowledgeWildcards(role, [bucket.arnForObjects('runs/*')], 'run ids are only known at run time');
 */
export function acknowledgeWildcards(scope: IConstruct, arns: readonly string[], reason: string): void {
  Validations.of(scope).acknowledge(
    ...arns.map((arn) => ({ id: wildcardResourceFinding(scope, arn), reason })),
  );
}
