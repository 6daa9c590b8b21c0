/**
 * How the repositories tell a lost condition from any other DynamoDB error. Every single-item write is
 * conditional, and its caller decides what a lost condition means (a duplicate event, a run that is
 * gone, another writer first), so the test is one predicate shared by the journal and the catalog.
 */

/**
 * Whether a write failed only because its ConditionExpression did not hold.
 * @example
 * try { await doc.send(update); } catch (err) { if (isConditionFailure(err)) return false; throw err; }
 */
export function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}
