import type { IncomingMessage, ServerResponse } from 'node:http';
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
    throw new HttpError(
      415,
      type === 'application/x-protobuf'
        ? 'only the OTLP/HTTP JSON encoding is accepted; send Content-Type: application/json'
        : `Content-Type must be application/json (got "${type || 'none'}")`,
    );
  }
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
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.length === 0) throw new InvalidInputError('empty body: expected a JSON document');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidInputError(`body is not valid JSON: ${(err as Error).message}`);
  }
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
