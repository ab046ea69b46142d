import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Test double for an OAuth 2 identity provider's token endpoint (client-credentials grant), so
 * a test can script what Kafka's OAUTHBEARER clients get: unsigned JWTs (alg "none", as Kafka's
 * unsecured validator accepts) for the one client it knows, each living `lifetimeSeconds`, or a
 * refusal while `refusing` is set. Binds 127.0.0.1 only.
 */
export async function startTokenEndpointDouble(client: {
  clientId: string;
  clientSecret: string;
  lifetimeSeconds: number;
}): Promise<{
  url: string;
  /** Tokens issued so far. */
  readonly issued: number;
  refusing: boolean;
  close: () => Promise<void>;
}> {
  const state = { issued: 0, refusing: false };
  const expected = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
  const base64url = (value: unknown): string =>
    Buffer.from(JSON.stringify(value)).toString('base64url');
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const form = new URLSearchParams(body);
      response.setHeader('content-type', 'application/json');
      if (
        state.refusing ||
        request.method !== 'POST' ||
        request.headers.authorization !== expected ||
        form.get('grant_type') !== 'client_credentials'
      ) {
        response.statusCode = 401;
        response.end(
          JSON.stringify({ error: 'invalid_client', error_description: 'who are you?' }),
        );
        return;
      }
      state.issued += 1;
      const issuedAt = Math.floor(Date.now() / 1000);
      const token = `${base64url({ alg: 'none' })}.${base64url({
        sub: client.clientId,
        iat: issuedAt,
        exp: issuedAt + client.lifetimeSeconds,
        ...(form.get('scope') === null ? {} : { scope: form.get('scope') }),
      })}.`;
      response.end(
        JSON.stringify({
          access_token: token,
          token_type: 'Bearer',
          expires_in: client.lifetimeSeconds,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}/oauth2/token`,
    get issued() {
      return state.issued;
    },
    get refusing() {
      return state.refusing;
    },
    set refusing(value: boolean) {
      state.refusing = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
