/**
 * A real gRPC client and server (@grpc/grpc-js) through the mesh: client → outbound of "web" → inbound of
 * "greeter" → a grpc-js server. Messages are JSON (no .proto needed); what matters is the transport: h2c on
 * both hops, trailers with grpc-status, and the proxy's own replies as gRPC statuses.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOPBACK, closedPort, hostPortOf, loopback, startTestProxy, writeConfig } from './helpers.ts';

interface Text {
  text: string;
}

const serialize = (value: Text): Buffer => Buffer.from(JSON.stringify(value));
const deserialize = (bytes: Buffer): Text => JSON.parse(bytes.toString('utf8')) as Text;

function method<Req extends boolean, Res extends boolean>(
  name: string,
  requestStream: Req,
  responseStream: Res,
) {
  return {
    path: `/test.Greeter/${name}`,
    originalName: name,
    requestStream,
    responseStream,
    requestSerialize: serialize,
    requestDeserialize: deserialize,
    responseSerialize: serialize,
    responseDeserialize: deserialize,
  };
}

const GREETER = {
  say: method('Say', false, false),
  fail: method('Fail', false, false),
  count: method('Count', false, true),
} satisfies grpc.ServiceDefinition;

const GreeterClient = grpc.makeGenericClientConstructor(GREETER, 'Greeter');

type UnaryMethod = (request: Text, done: (err: grpc.ServiceError | null, response?: Text) => void) => unknown;

/** The generic client with the methods makeGenericClientConstructor gave it. */
interface Greeter extends grpc.Client {
  say: UnaryMethod;
  fail: UnaryMethod;
  count(request: Text): grpc.ClientReadableStream<Text>;
}

function unary(client: Greeter, name: 'say' | 'fail', request: Text): Promise<Text | undefined> {
  return new Promise((resolve, reject) => {
    client[name](request, (err, response) => (err ? reject(err) : resolve(response)));
  });
}

describe('a grpc-js client and server through two proxies', () => {
  let server: grpc.Server;
  let greeter: Awaited<ReturnType<typeof startTestProxy>>;
  let web: Awaited<ReturnType<typeof startTestProxy>>;
  const clients: grpc.Client[] = [];

  function clientFor(authority: string): Greeter {
    const client = new GreeterClient(hostPortOf(web.addresses.outbound), grpc.credentials.createInsecure(), {
      'grpc.default_authority': authority,
    }) as unknown as Greeter;
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(GREETER, {
      say: (call: grpc.ServerUnaryCall<Text, Text>, done: grpc.sendUnaryData<Text>) =>
        done(null, { text: `hello ${call.request.text}` }),
      fail: (_call: grpc.ServerUnaryCall<Text, Text>, done: grpc.sendUnaryData<Text>) =>
        done({ code: grpc.status.NOT_FOUND, details: 'no such greeting' }),
      count: (call: grpc.ServerWritableStream<Text, Text>) => {
        for (let i = 1; i <= 3; i++) call.write({ text: `${call.request.text} ${i}` });
        call.end();
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${LOOPBACK}:0`, grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const controlPlane = new URL(`http://${LOOPBACK}:${await closedPort()}`);
    greeter = await startTestProxy({
      service: 'greeter',
      app: loopback(port),
      controlPlane,
      configFile: writeConfig({ version: 'greeter-1', services: [] }),
    });
    web = await startTestProxy({
      service: 'web',
      app: loopback(await closedPort()),
      controlPlane,
      tuning: { appCheckIntervalMs: 0 },
      configFile: writeConfig({
        version: 'web-1',
        services: [
          {
            name: 'greeter',
            namespace: 'shop',
            endpoints: [
              { proxyId: 'greeter-1', address: hostPortOf(greeter.addresses.inbound), version: 'v1' },
            ],
          },
          { name: 'empty', namespace: 'shop', endpoints: [] },
        ],
      }),
    });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all([web.stop(), greeter.stop()]);
    server.forceShutdown();
  });

  it('makes a unary call and gets the server status of a failing one', async () => {
    const client = clientFor('greeter.shop');
    await expect(unary(client, 'say', { text: 'mesh' })).resolves.toEqual({ text: 'hello mesh' });
    await expect(unary(client, 'fail', { text: 'x' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: 'no such greeting',
    });
  });

  it('makes a server-streaming call', async () => {
    const client = clientFor('greeter.shop');
    const stream = client.count({ text: 'n' });
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (m: Text) => got.push(m.text));
      stream.on('status', (s: grpc.StatusObject) =>
        s.code === grpc.status.OK ? resolve() : reject(new Error(s.details)),
      );
      stream.on('error', reject);
    });
    expect(got).toEqual(['n 1', 'n 2', 'n 3']);
  });

  it('gets UNAVAILABLE from the proxy for a service without endpoints', async () => {
    await expect(unary(clientFor('empty.shop'), 'say', { text: 'x' })).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
      details: expect.stringContaining('no endpoints') as unknown,
    });
  });
});
