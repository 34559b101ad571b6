/**
 * A tiny HTTP forwarder for fault injection in front of a real server: it passes requests through
 * unchanged (Host header included, so SigV4 signatures stay valid), records what it saw, and for
 * the requests a test marks it answers with an error status, drops the connection, or flips a byte
 * of the real answer's body.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'status'; status: number; code?: string; retryAfter?: string }
  | { kind: 'drop' }
  | { kind: 'corrupt-response' };

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  bodyLength: number;
  /** The fault injected instead of (or into) the real answer, if any. */
  fault?: Fault['kind'];
}

export interface FaultProxy {
  /** http://127.0.0.1:PORT */
  url: string;
  seen: SeenRequest[];
  /** The next requests (matching `when`, default all) get these faults, one each, in order. */
  inject(faults: Fault[], when?: (method: string, path: string) => boolean): void;
  close(): Promise<void>;
}

function errorXml(code: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected by the test proxy</Message><RequestId>fault-proxy</RequestId></Error>`;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const seen: SeenRequest[] = [];
  let queue: Fault[] = [];
  let match: (method: string, path: string) => boolean = () => true;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const fault = queue.length && match(method, path) ? queue.shift() : undefined;
      seen.push({ method, path, headers: req.headers, bodyLength: body.length, ...(fault ? { fault: fault.kind } : {}) });
      if (fault?.kind === 'drop') { req.socket.destroy(); return; }
      if (fault?.kind === 'status') {
        const xml = errorXml(fault.code ?? 'InternalError');
        res.writeHead(fault.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml), ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}) });
        res.end(method === 'HEAD' ? undefined : xml);
        return;
      }
      const up = httpRequest({ host: upstream.hostname, port: upstream.port, method, path, headers: req.headers }, (upRes) => {
        const parts: Buffer[] = [];
        upRes.on('data', (c: Buffer) => parts.push(c));
        upRes.on('end', () => {
          const answer = Buffer.concat(parts);
          if (fault?.kind === 'corrupt-response' && answer.length > 0) answer[0] = answer[0]! ^ 0x20;
          const headers = { ...upRes.headers };
          delete headers['transfer-encoding'];
          headers['content-length'] = String(answer.length);
          res.writeHead(upRes.statusCode ?? 502, headers);
          res.end(answer);
        });
      });
      up.on('error', () => { res.writeHead(502); res.end(); });
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    inject(faults, when) {
      queue = [...faults];
      match = when ?? (() => true);
    },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
