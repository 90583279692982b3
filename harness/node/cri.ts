/**
 * The few CRI calls the node's teardown needs, spoken directly to containerd's socket
 * (gRPC = HTTP/2 + length-prefixed protobuf): list the Pod sandboxes, stop and remove each.
 * Removing a sandbox through the CRI is what runs the CNI DEL (veth, IP lease, masquerade
 * rules) and unmounts its volumes; deleting containers with `ctr` would skip all that.
 * Only the fields read here are decoded.
 */
import { connect, constants } from 'node:http2';
import { connect as connectSocket } from 'node:net';

export interface PodSandbox { id: string; name: string; namespace: string; uid: string; ready: boolean }

const RUNTIME = '/runtime.v1.RuntimeService';

/** `Version`: answers once containerd's CRI plugin serves. */
export async function criVersion(address: string): Promise<{ runtimeName: string; runtimeVersion: string }> {
  const fields = decode(await grpcCall(address, `${RUNTIME}/Version`, Buffer.alloc(0)));
  return { runtimeName: text(fields, 2), runtimeVersion: text(fields, 3) };
}

export async function listPodSandboxes(address: string): Promise<PodSandbox[]> {
  const response = decode(await grpcCall(address, `${RUNTIME}/ListPodSandbox`, Buffer.alloc(0)));
  return (response.get(1) ?? []).map((item) => {
    const sandbox = decode(item as Buffer);
    const metadata = decode((sandbox.get(2)?.[0] as Buffer | undefined) ?? Buffer.alloc(0));
    return {
      id: text(sandbox, 1),
      name: text(metadata, 1),
      uid: text(metadata, 2),
      namespace: text(metadata, 3),
      ready: (sandbox.get(3)?.[0] ?? 0) === 0, // PodSandboxState: SANDBOX_READY = 0
    };
  });
}

/** StopPodSandbox then RemovePodSandbox: kills its containers, runs CNI DEL, removes it all. */
export async function removePodSandbox(address: string, id: string): Promise<void> {
  const request = stringField(1, id);
  await grpcCall(address, `${RUNTIME}/StopPodSandbox`, request, 60_000);
  await grpcCall(address, `${RUNTIME}/RemovePodSandbox`, request, 60_000);
}

/** One unary gRPC call over a unix socket; rejects with the gRPC status message when not OK. */
function grpcCall(address: string, path: string, message: Buffer, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const session = connect('http://localhost', { createConnection: () => connectSocket(address) });
    const fail = (e: Error) => { session.destroy(); reject(e); };
    session.once('error', fail);
    const request = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', 'te': 'trailers' });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    let statusMessage = '';
    const readStatus = (headers: Record<string, unknown>) => {
      if (headers['grpc-status'] !== undefined) {
        status = String(headers['grpc-status']);
        statusMessage = decodeURIComponent(String(headers['grpc-message'] ?? ''));
      }
    };
    request.on('response', readStatus); // a "trailers-only" reply carries the status here
    request.on('trailers', readStatus);
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('error', fail);
    request.setTimeout(timeoutMs, () => {
      request.close(constants.NGHTTP2_CANCEL);
      fail(new Error(`${path}: no answer from ${address} in ${timeoutMs} ms`));
    });
    request.once('end', () => {
      session.close();
      if (status !== '0') return reject(new Error(`${path}: gRPC status ${status ?? '(none)'}: ${statusMessage}`));
      const body = Buffer.concat(chunks);
      resolve(body.length >= 5 ? body.subarray(5, 5 + body.readUInt32BE(1)) : Buffer.alloc(0));
    });
    const frame = Buffer.alloc(5 + message.length); // flag 0 (uncompressed), 4-byte length, message
    frame.writeUInt32BE(message.length, 1);
    message.copy(frame, 5);
    request.end(frame);
  });
}

// --- protobuf, just enough: varints, and length-delimited fields kept as bytes ---

type Fields = Map<number, (Buffer | number)[]>;

export function decode(buffer: Buffer): Fields {
  const fields: Fields = new Map();
  let offset = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = buffer[offset++];
      result += (byte % 0x80) * 2 ** shift; // arithmetic, not bitwise: int64 timestamps overflow 32 bits
      if (byte < 0x80) return result;
      shift += 7;
    }
  };
  while (offset < buffer.length) {
    const key = varint();
    const [field, wireType] = [Math.floor(key / 8), key % 8];
    let value: Buffer | number;
    if (wireType === 0) {value = varint();} else if (wireType === 2) {
      const length = varint();
      value = buffer.subarray(offset, offset + length);
      offset += length;
    } else if (wireType === 1 || wireType === 5) {
      const size = wireType === 1 ? 8 : 4;
      value = buffer.subarray(offset, offset + size);
      offset += size;
    } else {throw new Error(`protobuf: unsupported wire type ${wireType}`);}
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

const text = (fields: Fields, field: number) => ((fields.get(field)?.[0] as Buffer | undefined) ?? Buffer.alloc(0)).toString('utf8');

export function stringField(field: number, value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([varintBytes(field * 8 + 2), varintBytes(bytes.length), bytes]);
}

function varintBytes(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 0x80) + 0x80);
    value = Math.floor(value / 0x80);
  }
  bytes.push(value);
  return Buffer.from(bytes);
}
