/**
 * A small HTTP server on loopback for URL contexts: fixed documents, each optionally
 * guarded by a header that must match (a Bearer token, a team header...).
 */
import http from 'node:http';

export interface Document {
  readonly body: string;
  /** Header (lower case) -> required value; other requests get 401. */
  readonly require?: Readonly<Record<string, string>>;
}

export interface UrlServer {
  readonly url: (path: string) => string;
  /** Method, path and headers of every request, in order. */
  readonly requests: { path: string; headers: http.IncomingHttpHeaders }[];
  readonly stop: () => Promise<void>;
}

export async function startUrlServer(documents: Readonly<Record<string, Document>>): Promise<UrlServer> {
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
