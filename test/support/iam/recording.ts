/**
 * Records the AWS requests made in a test file, attributed to the principal making them, for the IAM
 * rehearsal. The recording sits on each SDK client class's `send` (what aws-sdk-client-mock stubs, so a
 * middleware would never run on a mocked client), and the principal is the AsyncLocalStorage scope the
 * request runs in: `asPrincipal('function:runCommand', () => handler(event, context))`. Requests outside
 * any scope (a test reading the journal to assert on it, creating tables) are not the product's and are
 * not recorded. Requests AWS makes itself (the state machine invoking a function, EventBridge delivering to
 * a target) are recorded with `recordRequest` by the fake playing that service.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { vi } from 'vitest';
import {
  type IamRequest,
  iamRequestsOf,
  type Principal,
  type RequestWorld,
  SERVICE_OF_CLIENT,
} from './requests.js';

const scope = new AsyncLocalStorage<Principal>();

/** Every request recorded in this test file (vitest gives each file its own module instance). */
export const recordedRequests: IamRequest[] = [];

/** Runs `work` as `principal`: the AWS requests it makes are recorded as that principal's. */
export function asPrincipal<T>(principal: Principal, work: () => T): T {
  return scope.run(principal, work);
}

export function recordRequest(request: IamRequest): void {
  recordedRequests.push(request);
}

type SdkClass = { readonly name: string; readonly prototype: { send: (...args: never[]) => unknown } };

/**
 * Wraps `send` of each client class (over a mockClient stub too, which must be installed first).
 * @returns undo, to call before the mocks are restored
 */
export function recordSdkRequests(classes: readonly SdkClass[], world: RequestWorld): () => void {
  const spies = classes.map((cls) => {
    const service = SERVICE_OF_CLIENT[cls.name];
    if (!service) throw new Error(`no IAM service prefix for ${cls.name}`);
    const original = cls.prototype.send as (this: unknown, ...args: unknown[]) => unknown;
    return vi.spyOn(cls.prototype, 'send').mockImplementation(function (this: unknown, ...args: unknown[]) {
      const principal = scope.getStore();
      const command = args[0] as { constructor: { name: string }; input: Record<string, unknown> };
      if (principal)
        for (const request of iamRequestsOf(
          principal,
          service,
          command.constructor.name,
          command.input,
          world,
        ))
          recordRequest(request);
      return original.apply(this, args);
    } as never);
  });
  return () => {
    for (const spy of spies) spy.mockRestore();
  };
}
