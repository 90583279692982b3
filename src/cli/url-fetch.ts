/**
 * `kubeopencode url-fetch`: the init container that downloads a URL context into a file.
 * One timeout covers the whole fetch (redirects and body included); the body is capped
 * while it streams; credentials are never sent to another origin after a redirect.
 */
import { mkdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import { dirname, join } from 'node:path';
import { defineCommand, errorCode, flag, list, Log, parseCount, parseMode, str, UsageError } from './lib/cli.js';
import { Redactor, scrubUrl } from './lib/redact.js';
import { AtomicFile } from './lib/safe-write.js';

const MAX_REDIRECTS = 5;
const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
const DEFAULT_TIMEOUT_SECONDS = 30;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Headers meant for the first origin only (credentials, and Host): dropped when a redirect leaves it. */
const ORIGIN_BOUND_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'host'];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

interface FetchOptions {
  readonly url: URL;
  readonly headers: OutgoingHttpHeaders;
  readonly timeoutSeconds: number;
  readonly maxBytes: number;
  readonly insecure: boolean;
  readonly target: string;
  readonly mode: number;
}

function parseSource(source: string): URL {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new UsageError(`--source is not a URL: ${scrubUrl(source)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--source must be an http or https URL, got ${url.protocol}`);
  return url;
}

/** `--header 'Name: value'`, repeatable; names are case-insensitive, the last one wins. */
function parseHeaders(values: readonly string[]): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const header of values) {
    const colon = header.indexOf(':');
    const name = header.slice(0, colon).trim();
    const value = header.slice(colon + 1).trim();
    if (colon < 0 || !HEADER_NAME.test(name) || /[\r\n\0]/.test(value)) throw new UsageError(`--header must look like "Name: value", got "${header}"`);
    headers[name.toLowerCase()] = value;
  }
  return headers;
}

async function readSecretFile(dir: string, key: string): Promise<string | undefined> {
  try {
    return await readFile(join(dir, key), 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** The Authorization header from the Secret: `token` (Bearer) or `username` and `password` (Basic). */
async function authorization(secretDir: string, redactor: Redactor): Promise<string> {
  const token = (await readSecretFile(secretDir, 'token'))?.trim();
  if (token !== undefined) {
    if (token === '') throw new Error(`${secretDir}/token is empty`);
    redactor.add(token);
    return `Bearer ${token}`;
  }
  const username = (await readSecretFile(secretDir, 'username'))?.replace(/\r?\n$/, '');
  const password = (await readSecretFile(secretDir, 'password'))?.replace(/\r?\n$/, '');
  if (username === undefined || password === undefined) throw new Error(`${secretDir} has neither "token" nor both "username" and "password"`);
  const basic = Buffer.from(`${username}:${password}`).toString('base64');
  redactor.add(password);
  redactor.add(basic);
  return `Basic ${basic}`;
}

function request(url: URL, headers: OutgoingHttpHeaders, options: FetchOptions, signal: AbortSignal): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { method: 'GET', headers, signal, agent: false, rejectUnauthorized: !options.insecure }, resolve);
    req.on('error', reject);
    req.end();
  });
}

const originBound = (name: string): boolean => ORIGIN_BOUND_HEADERS.includes(name.toLowerCase());

/** GETs the URL, following at most MAX_REDIRECTS redirects; resolves with a 2xx response. */
async function followRedirects(options: FetchOptions, signal: AbortSignal, log: Log): Promise<{ response: IncomingMessage; url: URL }> {
  let url = options.url;
  let headers = options.headers;
  for (let redirects = 0; ; redirects++) {
    const response = await request(url, headers, options, signal);
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return { response, url };
    response.resume(); // the body of an error or a redirect is not needed
    if (!REDIRECT_STATUSES.has(status)) throw new Error(`GET ${scrubUrl(url.href)} returned HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`);
    const location = response.headers.location;
    if (!location) throw new Error(`GET ${scrubUrl(url.href)} returned HTTP ${status} without a Location header`);
    if (redirects >= MAX_REDIRECTS) throw new Error(`too many redirects (more than ${MAX_REDIRECTS}) fetching ${scrubUrl(options.url.href)}`);
    const next = new URL(location, url);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Error(`${scrubUrl(url.href)} redirected to unsupported ${next.protocol} URL`);
    if (next.origin !== url.origin && Object.keys(headers).some(originBound)) {
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !originBound(name)));
      log.info(`redirect leaves ${url.origin}: Authorization, Cookie and Host headers are not forwarded`);
    }
    log.info(`HTTP ${status}: redirected to ${next.href}`);
    url = next;
  }
}

/** Streams the body into the file, failing as soon as it passes the size cap. */
async function saveBody(response: IncomingMessage, url: URL, options: FetchOptions): Promise<number> {
  const declared = Number(response.headers['content-length']);
  const limit = `the limit of ${options.maxBytes} bytes (--max-bytes)`;
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    response.destroy();
    throw new Error(`${scrubUrl(url.href)} is ${declared} bytes, over ${limit}`);
  }
  await mkdir(dirname(options.target), { recursive: true });
  const file = await AtomicFile.create(options.target, options.mode);
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      if (file.bytes + chunk.length > options.maxBytes) {
        response.destroy();
        throw new Error(`${scrubUrl(url.href)} is larger than ${limit}`);
      }
      await file.write(chunk);
    }
  } catch (err) {
    await file.abort();
    throw err;
  }
  await file.commit();
  return file.bytes;
}

async function fetchToFile(options: FetchOptions, log: Log): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutSeconds * 1000);
  const source = scrubUrl(options.url.href);
  try {
    log.info(`fetching ${source} (timeout ${options.timeoutSeconds}s, at most ${options.maxBytes} bytes)`);
    const { response, url } = await followRedirects(options, controller.signal, log);
    const bytes = await saveBody(response, url, options);
    log.info(`fetched ${bytes} bytes from ${scrubUrl(url.href)} into ${options.target} (mode ${options.mode.toString(8)})`);
  } catch (err) {
    if (controller.signal.aborted) throw new Error(`timed out after ${options.timeoutSeconds}s fetching ${source}`);
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(message.includes(source) || message.startsWith('too many') ? message : `cannot fetch ${source}: ${message}`);
  } finally {
    clearTimeout(timer);
  }
}

export const command = defineCommand({
  name: 'url-fetch',
  summary: 'Download a URL context into a file (init container)',
  details: 'Secret files: "token" (Bearer) or "username" and "password" (Basic). At most 5 redirects; credentials\n' +
    'are dropped when a redirect leaves the origin. Non-2xx, timeout and oversize are errors (exit 1).',
  options: {
    'source': { type: 'string', required: true, arg: 'URL', description: 'http or https URL to GET' },
    'target': { type: 'string', required: true, arg: 'FILE', description: 'File to write (atomically)' },
    'timeout': { type: 'string', arg: 'SECONDS', description: `Timeout for the whole fetch (default ${DEFAULT_TIMEOUT_SECONDS})` },
    'mode': { type: 'string', arg: 'OCTAL', description: 'Permission bits of the file (default 644)' },
    'header': { type: 'string', multiple: true, arg: "'NAME: VALUE'", description: 'Request header' },
    'secret-dir': { type: 'string', arg: 'DIR', description: 'Mounted Secret with token, or username and password' },
    'insecure-skip-tls-verify': { type: 'boolean', description: 'Do not verify the server certificate' },
    'max-bytes': { type: 'string', arg: 'N', description: `Largest body accepted (default ${DEFAULT_MAX_BYTES})` },
  },
  run: async (values, log) => {
    const url = parseSource(str(values.source)!);
    const headers = parseHeaders(list(values.header));
    const timeoutSeconds = parseCount('timeout', str(values.timeout), DEFAULT_TIMEOUT_SECONDS);
    if (timeoutSeconds === 0) throw new UsageError('--timeout must be at least 1 second');
    const secretDir = str(values['secret-dir']);
    if (secretDir) headers.authorization = await authorization(secretDir, log.redactor);
    const insecure = flag(values['insecure-skip-tls-verify']);
    if (insecure) log.warn('TLS certificate verification is disabled (--insecure-skip-tls-verify)');
    await fetchToFile({
      url,
      headers,
      timeoutSeconds,
      maxBytes: parseCount('max-bytes', str(values['max-bytes']), DEFAULT_MAX_BYTES),
      insecure,
      target: str(values.target)!,
      mode: parseMode('mode', str(values.mode), 0o644),
    }, log);
    return 0;
  },
});
