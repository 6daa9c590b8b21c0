/**
 * The engine's own way into the dynalite it serves: a smithy request handler that hands each DynamoDB
 * request straight to dynalite's HTTP request listener in this process, with no socket, no HTTP parsing and
 * no copy through the kernel. dynalite sees what its HTTP server would give it (method, url, headers, body)
 * and answers through the same `setHeader`/`end` calls, so validation, errors and results are dynalite's
 * own, byte for byte. Other processes still reach the same listener over loopback HTTP.
 *
 * Alongside it, `localRequestSigner` replaces SigV4 for local clients: dynalite checks that a request
 * carries an `AWS4-` Authorization header and a date but never verifies the signature, and the
 * credentials are dummies, so hashing the body and HMAC-ing a canonical request bought nothing.
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EngineError } from '../../core/errors.js';

type RequestHandler = DynamoDBClient['config']['requestHandler'];
type HttpRequest = Parameters<RequestHandler['handle']>[0];
/** The SDK passes its own or the DOM AbortSignal; both say whether they are aborted. */
type HandlerOptions = { abortSignal?: { readonly aborted: boolean } | undefined };
type HandlerOutput = Awaited<ReturnType<RequestHandler['handle']>>;
type Signer = { sign(request: HttpRequest): Promise<HttpRequest> };

/** A request refused because the handler is closed: dynalite never saw it, so it can be sent elsewhere. */
export class HandlerClosedError extends EngineError {}

/** dynalite's request listener: `(req, res) => void`, using the small part of http it needs. */
type Listener = (req: FakeRequest, res: FakeResponse) => void;

/** What dynalite reads of an IncomingMessage: events, method, url, headers. */
class FakeRequest extends EventEmitter {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: IncomingHttpHeaders,
  ) {
    super();
  }
}

/** What dynalite writes to a ServerResponse: a status, headers and one `end(body)`. */
class FakeResponse {
  statusCode = 200;
  /** dynalite stores the request's content type here to echo it. */
  contentType: string | undefined;
  readonly headers: Record<string, string> = {};

  constructor(private readonly onEnd: (response: FakeResponse, body: Uint8Array) => void) {}

  setHeader(name: string, value: string | number): void {
    this.headers[name.toLowerCase()] = String(value);
  }

  end(body?: string | Uint8Array): void {
    this.onEnd(this, typeof body === 'string' ? Buffer.from(body, 'utf8') : (body ?? new Uint8Array()));
  }
}

/**
 * A request handler for SDK clients that answers from dynalite's listener in this process.
 * @example
 * const server = dynalite({ path: '.fleetbench/db' });
 * const client = new DynamoDBClient({ endpoint, region: 'local', requestHandler: new InProcessDynaliteHandler(server) });
 */
export class InProcessDynaliteHandler {
  readonly metadata = { handlerProtocol: 'in-process' };
  private readonly listener: Listener;
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  /** Takes dynalite's own listener: pass it when the server's 'request' listener has been wrapped. */
  constructor(server: Server, listener: unknown = server.listeners('request')[0]) {
    if (typeof listener !== 'function') throw new Error('dynalite server has no request listener');
    this.listener = listener as Listener;
  }

  handle(request: HttpRequest, options?: HandlerOptions): Promise<HandlerOutput> {
    const answer = this.answer(request, options);
    this.pending.add(answer);
    const forget = () => this.pending.delete(answer);
    answer.then(forget, forget);
    return answer;
  }

  /** Refuses new requests and waits for those dynalite is still answering. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.pending]);
  }

  private answer(request: HttpRequest, options?: HandlerOptions): Promise<HandlerOutput> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new HandlerClosedError('the local journal database is closed'));
        return;
      }
      if (options?.abortSignal?.aborted) {
        reject(abortError());
        return;
      }
      const headers: IncomingHttpHeaders = {};
      for (const [name, value] of Object.entries(request.headers as Record<string, string>))
        headers[name.toLowerCase()] = value;
      const req = new FakeRequest(request.method, pathWithQuery(request), headers);
      const res = new FakeResponse((response, body) => {
        resolve({ response: { statusCode: response.statusCode, headers: response.headers, body } });
      });
      try {
        this.listener(req, res);
        const body = bodyBytes(request.body);
        if (body.length > 0) req.emit('data', body);
        req.emit('end');
      } catch (error) {
        reject(error);
      }
    });
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}

/**
 * Adds what dynalite checks of a signature (an `AWS4-` Authorization header naming a credential, signed
 * headers and a signature, and an X-Amz-Date) without computing one.
 */
export const localRequestSigner: Signer = {
  async sign(request) {
    const date = amzDate(new Date());
    request.headers.authorization =
      `AWS4-HMAC-SHA256 Credential=local/${date.slice(0, 8)}/local/dynamodb/aws4_request, ` +
      'SignedHeaders=host, Signature=local';
    request.headers['x-amz-date'] = date;
    return request;
  },
};

function amzDate(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function pathWithQuery(request: HttpRequest): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(request.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== null) query.append(name, v);
  }
  const search = query.toString();
  return search === '' ? request.path : `${request.path}?${search}`;
}

function bodyBytes(body: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new Error('the in-process dynalite handler takes string or byte bodies only');
}

function abortError(): Error {
  const error = new Error('Request aborted');
  error.name = 'AbortError';
  return error;
}
