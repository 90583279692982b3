/**
 * The server's defences: where it may listen, which Host it answers (DNS rebinding), the
 * headers of every answer (a strict Content-Security-Policy: the page runs only its own
 * script), and the CSRF checks of state-changing requests (same origin, and a token the page
 * got from its own HTML, which another site cannot read).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { CSRF_HEADER } from '../shared/types.js';

/** 127.0.0.0/8, ::1, ::ffff:127.x and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * Refuses a listen address that other machines can reach unless asked (`--allow-remote`), and
 * then only with bearer authentication: a kubeconfig server would lend the kubeconfig's
 * rights to anyone on the network.
 */
export function checkBindAddress(address: string, allowRemote: boolean, mode: 'kubeconfig' | 'bearer'): void {
  if (isLoopback(address)) return;
  if (!allowRemote) {
    throw new Error(`refusing to listen on ${address}: other machines could reach it; listen on 127.0.0.1, or pass --allow-remote (with --auth bearer behind an authenticating proxy)`);
  }
  if (mode !== 'bearer') {
    throw new Error(`--allow-remote needs --auth bearer: with --auth kubeconfig everyone who reaches ${address} would act with your kubeconfig's rights`);
  }
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers of every answer. */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
}

/**
 * The Host names a loopback server answers to: a page of another site that rebinds its own
 * name to 127.0.0.1 sends its own name as Host and is turned away.
 */
export function loopbackHostAllowed(hostHeader: string | undefined, port: number, extra: readonly string[] = []): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.toLowerCase();
  if (extra.map((h) => h.toLowerCase()).includes(host)) return true;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  return !!m && isLoopback(m[1]) && Number(m[2] ?? 80) === port;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export const isStateChanging = (method: string | undefined): boolean => STATE_CHANGING.has(method ?? 'GET');

/** Per-process secret; a token is bound to one set of credentials. */
export class CsrfTokens {
  private readonly secret = randomBytes(32);

  public tokenFor(credentialsId: string): string {
    return createHmac('sha256', this.secret).update(credentialsId).digest('base64url');
  }

  public verify(credentialsId: string, token: string | undefined): boolean {
    if (!token) return false;
    const want = Buffer.from(this.tokenFor(credentialsId));
    const got = Buffer.from(token);
    return got.length === want.length && timingSafeEqual(got, want);
  }
}

/**
 * Why a state-changing request must be refused, or undefined when it may go on: it must come
 * from a page of this server (Origin, which browsers always send with these methods), carry
 * the CSRF token, and send JSON when it sends a body (a form of another site cannot).
 */
export function csrfRefusal(req: IncomingMessage, tokens: CsrfTokens, credentialsId: string, allowedOrigins: readonly string[]): string | undefined {
  const origin = req.headers.origin;
  if (!origin) return 'the request has no Origin header';
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return 'the Origin header is not a URL';
  }
  if (originHost !== req.headers.host && !allowedOrigins.includes(origin)) return `the request comes from another origin (${origin})`;
  const token = req.headers[CSRF_HEADER];
  if (!tokens.verify(credentialsId, Array.isArray(token) ? token[0] : token)) return 'the CSRF token is missing or wrong: reload the page';
  const length = Number(req.headers['content-length'] ?? 0);
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if ((length > 0 || req.headers['transfer-encoding']) && type !== 'application/json') return 'the request body must be application/json';
  return undefined;
}
