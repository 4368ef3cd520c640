import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { InvalidInputError } from '../ingest/validation.ts';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads and parses a JSON body, refusing other encodings and bodies over `maxBytes`. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, `Content-Type must be application/json (got "${type || 'none'}")`);
  }
  return parseJsonText((await readRawBody(req, maxBytes)).toString('utf8'));
}

/** Parses a JSON document; a 400 naming the problem when it is not one. */
export function parseJsonText(text: string): unknown {
  if (text.length === 0) throw new InvalidInputError('empty body: expected a JSON document');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidInputError(`body is not valid JSON: ${(err as Error).message}`);
  }
}

/** The two OTLP/HTTP encodings. */
export type OtlpEncoding = 'json' | 'protobuf';

/** The encoding a request's Content-Type names; null for any other type (answered 415). */
export function otlpEncodingOf(req: IncomingMessage): OtlpEncoding | null {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/x-protobuf') return 'protobuf';
  return null;
}

const gunzip = promisify(zlib.gunzip);

/**
 * Reads an OTLP/HTTP body: its bytes, gunzipped when `Content-Encoding: gzip`. `maxBytes` bounds both what is
 * received and what it decompresses to (a small gzip bomb is refused with 413 like a large body).
 */
export async function readOtlpBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const coding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (coding !== 'gzip' && coding !== 'identity') {
    throw new HttpError(415, `Content-Encoding must be gzip or identity (got "${coding}")`);
  }
  const raw = await readRawBody(req, maxBytes);
  if (coding === 'identity') return raw;
  try {
    return await gunzip(raw, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new HttpError(413, `decompressed body exceeds the ${maxBytes}-byte limit`);
    }
    throw new InvalidInputError(`body is not valid gzip (Content-Encoding: gzip): ${(err as Error).message}`);
  }
}

async function readRawBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > maxBytes)
    throw new HttpError(413, `body of ${declared} bytes exceeds the ${maxBytes}-byte limit`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) throw new HttpError(413, `body exceeds the ${maxBytes}-byte limit`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
