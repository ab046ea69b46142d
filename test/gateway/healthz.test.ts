import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGateway } from '../../src/gateway/index.ts';
import type { HealthReport } from '../../src/gateway/index.ts';
import { freePort } from '../../src/kafka/index.ts';
import { testBootstrapServers } from '../helpers/kafka.ts';

describe('gateway health and errors', () => {
  it('GET /healthz reports a reachable broker', async () => {
    const bootstrap = await testBootstrapServers();
    const app = buildGateway({ bootstrapServers: [bootstrap] });
    try {
      const response = await app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(response.statusCode, 200);
      const body = response.json<HealthReport>();
      assert.equal(body.status, 'ok');
      assert.equal(body.kafka.reachable, true);
      assert.equal(body.kafka.brokers, 1);
      assert.deepEqual(body.kafka.bootstrapServers, [bootstrap]);
    } finally {
      await app.close();
    }
  });

  it('GET /healthz says degraded, still 200, when the broker is unreachable', async () => {
    const app = buildGateway({ bootstrapServers: [`127.0.0.1:${await freePort()}`] });
    try {
      const response = await app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(response.statusCode, 200);
      assert.equal(response.json<HealthReport>().status, 'degraded');
      assert.equal(response.json<HealthReport>().kafka.reachable, false);
    } finally {
      await app.close();
    }
  });

  it('answers an unknown route with a 404 OpenAI-style error body', async () => {
    const app = buildGateway({ bootstrapServers: ['127.0.0.1:1'] });
    try {
      const response = await app.inject({ method: 'GET', url: '/nope' });
      assert.equal(response.statusCode, 404);
      assert.deepEqual(response.json(), {
        error: {
          message: 'No route for GET /nope',
          type: 'not_found_error',
          code: 'GS_ERR_NOT_FOUND',
          param: null,
        },
      });
    } finally {
      await app.close();
    }
  });

  it('answers a malformed JSON body with a 400 error body, not a 5xx', async () => {
    const app = buildGateway({ bootstrapServers: ['127.0.0.1:1'] });
    app.post('/echo', (request) => request.body);
    try {
      const response = await app.inject({
        method: 'POST',
        url: '/echo',
        headers: { 'content-type': 'application/json' },
        payload: '{"unterminated": ',
      });
      assert.equal(response.statusCode, 400);
      assert.equal(
        response.json<{ error: { code: string } }>().error.code,
        'GS_ERR_INVALID_REQUEST',
      );
    } finally {
      await app.close();
    }
  });
});
