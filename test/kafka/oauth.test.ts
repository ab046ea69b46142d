import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { GuardstreamError } from '../../src/errors/index.ts';
import { oauthTokenProvider } from '../../src/kafka/oauth.ts';
import { startTokenEndpointDouble } from '../helpers/oauth.ts';

describe('kafka: OAuth tokens for OAUTHBEARER', () => {
  it('asks once for connections opened together, and again once the token is near expiry', async () => {
    const idp = await startTokenEndpointDouble({
      clientId: 'c',
      clientSecret: 's',
      lifetimeSeconds: 600,
    });
    let clock = 1_000_000;
    try {
      const token = oauthTokenProvider(
        { tokenEndpoint: idp.url, clientId: 'c', clientSecret: 's' },
        { now: () => clock },
      );
      const tokens = await Promise.all(Array.from({ length: 10 }, () => token()));
      assert.equal(new Set(tokens).size, 1);
      assert.equal(idp.issued, 1);
      // A ten-minute token is renewed a minute before it expires.
      clock += 538_000;
      await token();
      assert.equal(idp.issued, 1);
      clock += 3_000;
      await token();
      assert.equal(idp.issued, 2);
    } finally {
      await idp.close();
    }
  });

  it('says what an endpoint answered that is not a token, and asks again next time', async () => {
    const answers = [
      { status: 200, body: '{"token_type":"Bearer"}' },
      { status: 200, body: '<html>login</html>' },
      { status: 503, body: 'busy' },
      { status: 200, body: '{"access_token":"abc","expires_in":60}' },
    ];
    const server = createServer((_request, response) => {
      const answer = answers.shift() ?? { status: 500, body: '' };
      response.statusCode = answer.status;
      response.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const token = oauthTokenProvider({
        tokenEndpoint: `http://127.0.0.1:${String(port)}/token`,
        clientId: 'c',
        clientSecret: 's',
      });
      for (const why of [/without an access_token/, /other than JSON/, /answered HTTP 503/]) {
        await assert.rejects(
          token(),
          (error: unknown) =>
            error instanceof GuardstreamError &&
            error.code === 'GS_ERR_KAFKA_AUTH' &&
            why.test(error.message),
        );
      }
      assert.equal(await token(), 'abc');
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});
