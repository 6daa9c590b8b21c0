/**
 * What the IAM rehearsal saw each principal request: the distinct actions per principal, kept in
 * rehearsed-actions.json beside this file. test/infra/iam-rehearsal.test.ts writes that file as a file
 * snapshot of its recording, so a handler that starts or stops making a request fails the rehearsal until
 * the file is updated (`npx vitest run test/infra/iam-rehearsal.test.ts -u`); the construct tests read it
 * to expect exactly what the handlers ask for, instead of keeping their own copies of IAM action lists.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IamRequest, Principal } from './requests.js';

export const REHEARSED_ACTIONS_PATH = fileURLToPath(new URL('./rehearsed-actions.json', import.meta.url));

/**
 * The file's content for a recording: principals and their actions sorted, each action once.
 * @example
 * formatRehearsedActions([{ principal: 'host', action: 's3:PutObject', resource: 'arn:…', context: {} }]);
 * // → '{\n  "host": [\n    "s3:PutObject"\n  ]\n}\n'
 */
export function formatRehearsedActions(
  requests: readonly Pick<IamRequest, 'principal' | 'action'>[],
): string {
  const byPrincipal = new Map<string, Set<string>>();
  for (const { principal, action } of requests)
    byPrincipal.set(principal, (byPrincipal.get(principal) ?? new Set()).add(action));
  const sorted = [...byPrincipal.keys()].sort().map((p) => [p, [...(byPrincipal.get(p) ?? [])].sort()]);
  return `${JSON.stringify(Object.fromEntries(sorted), null, 2)}\n`;
}

/** The actions the rehearsal recorded `principal` requesting (none for a principal it never saw). */
export function rehearsedActions(principal: Principal): readonly string[] {
  const recorded = JSON.parse(readFileSync(REHEARSED_ACTIONS_PATH, 'utf8')) as Record<string, string[]>;
  return recorded[principal] ?? [];
}
