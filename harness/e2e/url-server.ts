/**
 * A small HTTP server for URL contexts: fixed documents, each optionally guarded by headers
 * that must match (a Bearer token, a team header...); other requests get 401. A document may
 * also change between requests (`bodies`), for tests whose attempts must see different content.
 */
import http from 'node:http';
import { listen, ServedAt, stopServer } from './listen.js';

export interface Document {
  readonly body: string;
  /** Header (lower case) -> required value. */
  readonly require?: Readonly<Record<string, string>>;
}

export interface UrlServer {
  readonly url: (path: string) => string;
  /** Path and headers of every request, in order. */
  readonly requests: { path: string; headers: http.IncomingHttpHeaders }[];
  readonly stop: () => Promise<void>;
}

export async function startUrlServer(documents: Readonly<Record<string, Document>>, at: ServedAt = {}): Promise<UrlServer> {
  const requests: UrlServer['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ path: req.url ?? '', headers: req.headers });
    const doc = documents[req.url ?? ''];
    if (!doc) {
      res.writeHead(404).end('not found\n');
      return;
    }
    const refused = Object.entries(doc.require ?? {}).some(([name, value]) => req.headers[name] !== value);
    if (refused) {
      res.writeHead(401).end('unauthorized\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(doc.body);
  });
  const origin = await listen(server, 'http', at);
  return { url: (path) => `${origin}${path}`, requests, stop: () => stopServer(server) };
}
