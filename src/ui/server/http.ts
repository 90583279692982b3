/** Small HTTP helpers: JSON in and out, problems as JSON, Server-Sent Events. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Problem, problem } from './problems.js';
import { ApiError, NetworkError } from '../../reconciler/runtime/api-errors.js';
import type { ProblemBody } from '../shared/types.js';

const MAX_BODY = 1024 * 1024;

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendProblem(res: ServerResponse, p: ProblemBody): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, p.code, p);
}

/** The request's JSON body (1 MiB at most). */
export async function readJson<T>(req: IncomingMessage): Promise<T> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw problem(413, 'RequestEntityTooLarge', 'The request is larger than 1 MiB');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
  } catch {
    throw problem(400, 'BadRequest', 'The request body is not JSON');
  }
}

/**
 * One Server-Sent Events answer. A comment every 15 s keeps proxies from closing a quiet
 * stream; `congested` tells a sender to hold back (and coalesce) while the client is slow.
 */
export class EventStream {
  private readonly heartbeat: NodeJS.Timeout;
  private closedFlag = false;
  private readonly closeHandlers: (() => void)[] = [];

  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'Connection': 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    res.on('close', () => this.close());
    // The browser may have left while the route was still getting ready: no 'close' will come.
    if (res.destroyed || res.socket?.destroyed !== false) this.close();
  }

  public get closed(): boolean {
    return this.closedFlag;
  }

  public get congested(): boolean {
    return this.res.writableNeedDrain;
  }

  public onDrain(fn: () => void): void {
    this.res.once('drain', fn);
  }

  public send(event: string, data: unknown): void {
    if (this.closedFlag) return;
    this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  public onClose(fn: () => void): void {
    if (this.closedFlag) fn();
    else this.closeHandlers.push(fn);
  }

  public close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    clearInterval(this.heartbeat);
    this.res.end();
    for (const fn of this.closeHandlers.splice(0)) fn();
  }
}

/** What the page is told of an error no route worded: the API server's own words when it has them. */
export function problemBody(e: unknown): ProblemBody {
  if (e instanceof Problem) return e.body;
  if (e instanceof NetworkError) return { code: 502, reason: 'BadGateway', message: e.message };
  if (e instanceof ApiError) return { code: e.code, reason: e.status?.reason ?? `HTTP${e.code}`, message: `The API server refused: ${e.message}` };
  return { code: 500, reason: 'InternalError', message: `Internal error: ${(e as Error)?.message ?? String(e)}` };
}
