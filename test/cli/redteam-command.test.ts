import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plantConnectionFor } from '../../src/cli/redteam-command.ts';
import { GuardstreamError } from '../../src/errors/index.ts';

describe('guardstream redteam --plant-kafka', () => {
  it("reaches a secured cluster with the environment's TLS and SASL settings, on the cluster it names", () => {
    const connection = plantConnectionFor(
      'b-1.example.net:9096,b-2.example.net:9096',
      {
        KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9092',
        GUARDSTREAM_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        GUARDSTREAM_KAFKA_SASL_USERNAME: 'redteam',
        GUARDSTREAM_KAFKA_SASL_PASSWORD: 'secret',
      },
      process.cwd(),
    );
    assert.deepEqual(connection.bootstrapServers, ['b-1.example.net:9096', 'b-2.example.net:9096']);
    assert.equal(connection.clientId, 'guardstream-redteam');
    assert.deepEqual(connection.sasl, {
      mechanism: 'SCRAM-SHA-512',
      username: 'redteam',
      password: 'secret',
    });
    assert.deepEqual(plantConnectionFor('127.0.0.1:9092', {}, process.cwd()), {
      bootstrapServers: ['127.0.0.1:9092'],
      clientId: 'guardstream-redteam',
    });
    assert.throws(
      () =>
        plantConnectionFor(
          '127.0.0.1:9092',
          { GUARDSTREAM_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512' },
          process.cwd(),
        ),
      (error: unknown) =>
        error instanceof GuardstreamError &&
        /--plant-kafka: kafka\.sasl\.username: required with mechanism SCRAM-SHA-512/.test(
          error.message,
        ),
    );
  });
});
