import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configSchema, loadConfig } from '../../src/config/index.ts';
import { GuardstreamError } from '../../src/errors/index.ts';
import {
  JsonConsumer,
  JsonProducer,
  TopicAdmin,
  connectionFromConfig,
} from '../../src/kafka/index.ts';
import type { KafkaConnection } from '../../src/kafka/index.ts';
import { runCliProcess } from '../helpers/cli.ts';
import { startTokenEndpointDouble } from '../helpers/oauth.ts';
import { SECURED_USER, startSecuredBroker, take, uniqueName } from '../helpers/kafka.ts';

const mechanisms = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

describe('kafka: TLS and SASL against a real broker with secured listeners', () => {
  let secured: Awaited<ReturnType<typeof startSecuredBroker>>;
  let dir: string;

  before(async () => {
    secured = await startSecuredBroker('kafka-security');
    dir = mkdtempSync(join(tmpdir(), 'gs-kafka-security-'));
    writeFileSync(join(dir, 'ca.pem'), secured.caPem);
  });

  after(async () => {
    await secured.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The connection `guardstream up` would build from this `kafka` section, in `dir`. */
  const fromConfig = (kafka: Record<string, unknown>): KafkaConnection => {
    const parsed = configSchema.parse({ kafka });
    return connectionFromConfig(parsed.kafka, parsed.kafka.bootstrapServers, dir);
  };

  const roundTrip = async (connection: KafkaConnection): Promise<void> => {
    const topic = uniqueName('secured');
    const admin = new TopicAdmin(connection);
    const producer = new JsonProducer<{ n: number }>(connection);
    const consumer = new JsonConsumer<{ n: number }>(connection, { groupId: uniqueName('g') });
    try {
      await admin.ensureTopics([{ name: topic }]);
      await producer.send([{ topic, key: 'k', value: { n: 7 } }]);
      const records = await take(consumer.consume([topic]), 1, 20_000);
      assert.deepEqual(
        records.map((record) => record.value),
        [{ n: 7 }],
      );
    } finally {
      await consumer.close();
      await producer.close();
      await admin.close();
    }
  };

  /** Asks `connection` for the topic list, which must fail as `expected` says. */
  const refused = async (
    connection: KafkaConnection,
    expected: { code: string; message?: RegExp },
    what?: string,
  ): Promise<void> => {
    const admin = new TopicAdmin(connection);
    try {
      await assert.rejects(
        admin.listTopics(),
        (error: unknown) =>
          error instanceof GuardstreamError &&
          error.code === expected.code &&
          error.retryable === (expected.code === 'GS_ERR_KAFKA_UNAVAILABLE') &&
          (expected.message?.test(error.message) ?? true),
        what,
      );
    } finally {
      await admin.close();
    }
  };

  for (const mechanism of mechanisms) {
    it(`produces and consumes over SASL_SSL with ${mechanism}, trusting the broker's CA`, async () => {
      await roundTrip(
        fromConfig({
          bootstrapServers: [secured.saslSsl],
          tls: { caFile: 'ca.pem' },
          sasl: { mechanism, ...SECURED_USER },
        }),
      );
    });
  }

  it('produces and consumes over SASL_PLAINTEXT, the password taken from the environment', async () => {
    const config = loadConfig({
      env: {
        KAFKA_BOOTSTRAP_SERVERS: secured.saslPlaintext,
        GUARDSTREAM_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        GUARDSTREAM_KAFKA_SASL_USERNAME: SECURED_USER.username,
        GUARDSTREAM_KAFKA_SASL_PASSWORD: SECURED_USER.password,
      },
      cwd: dir,
    });
    await roundTrip(connectionFromConfig(config.kafka, config.kafka.bootstrapServers, dir));
  });

  it('produces and consumes over SSL with a client certificate, and is refused without one', async () => {
    writeFileSync(join(dir, 'client-cert.pem'), secured.clientCertPem);
    writeFileSync(join(dir, 'client-key.pem'), secured.clientKeyPem);
    await roundTrip(
      fromConfig({
        bootstrapServers: [secured.mutualTls],
        tls: { caFile: 'ca.pem', certFile: 'client-cert.pem', keyFile: 'client-key.pem' },
      }),
    );
    // TLS 1.3 completes the client's side of the handshake before the broker asks for the
    // certificate, so all the client sees is the broker closing the connection.
    await refused(
      fromConfig({ bootstrapServers: [secured.mutualTls], tls: { caFile: 'ca.pem' } }),
      {
        code: 'GS_ERR_KAFKA_UNAVAILABLE',
      },
    );
  });

  it('produces and consumes over SASL_SSL with OAUTHBEARER, reusing a token until it is about to expire', async () => {
    const idp = await startTokenEndpointDouble({
      clientId: 'guardstream-client',
      clientSecret: 's3cret:with/odd=chars',
      lifetimeSeconds: 4,
    });
    try {
      const connection = fromConfig({
        bootstrapServers: [secured.saslSsl],
        tls: { caFile: 'ca.pem' },
        sasl: {
          mechanism: 'OAUTHBEARER',
          oauth: {
            tokenEndpoint: idp.url,
            clientId: 'guardstream-client',
            clientSecret: 's3cret:with/odd=chars',
            scope: 'kafka',
          },
        },
      });
      await roundTrip(connection);
      // The admin, producer and consumer each opened connections: one token served them all.
      assert.equal(idp.issued, 1);
      // Past half its four-second life a new connection gets a new token.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await roundTrip(connection);
      assert.equal(idp.issued, 2);
      // A refused token request fails the connection with what the endpoint said.
      idp.refusing = true;
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await refused(connection, {
        code: 'GS_ERR_KAFKA_AUTH',
        message:
          /no OAuth token for Kafka: .* answered HTTP 401: invalid_client \(who are you\?\): check kafka\.sasl\.oauth/,
      });
    } finally {
      await idp.close();
    }
  });

  it('reports a refused login as GS_ERR_KAFKA_AUTH, not retryable, naming kafka.sasl', async () => {
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256'] as const)
      await refused(
        fromConfig({
          bootstrapServers: [secured.saslSsl],
          tls: { caFile: 'ca.pem' },
          sasl: { mechanism, username: SECURED_USER.username, password: 'not-the-password' },
        }),
        { code: 'GS_ERR_KAFKA_AUTH', message: /refused the SASL login.*check kafka\.sasl/ },
        mechanism,
      );
  });

  it('refuses a broker whose certificate it does not trust, naming kafka.tls.caFile', async () => {
    // Without caFile the system's authorities are trusted, and none signed this broker's.
    await refused(
      fromConfig({
        bootstrapServers: [secured.saslSsl],
        tls: {},
        sasl: { mechanism: 'SCRAM-SHA-256', ...SECURED_USER },
      }),
      {
        code: 'GS_ERR_KAFKA_AUTH',
        message: /TLS certificate was not accepted.*kafka\.tls\.caFile/,
      },
    );
  });

  it('checks the certificate against tls.serverName when one is given', async () => {
    // The broker's certificate names 127.0.0.1 and localhost.
    await roundTrip(
      fromConfig({
        bootstrapServers: [secured.saslSsl],
        tls: { caFile: 'ca.pem', serverName: 'localhost' },
        sasl: { mechanism: 'SCRAM-SHA-256', ...SECURED_USER },
      }),
    );
    await refused(
      fromConfig({
        bootstrapServers: [secured.saslSsl],
        tls: { caFile: 'ca.pem', serverName: 'kafka.example.net' },
        sasl: { mechanism: 'SCRAM-SHA-256', ...SECURED_USER },
      }),
      {
        code: 'GS_ERR_KAFKA_AUTH',
        message: /TLS certificate was not accepted.*kafka\.example\.net.*kafka\.tls\.serverName/,
      },
    );
  });

  it('guardstream kafka status says whether the secured cluster answers, and why not', async () => {
    const file = join(dir, 'secured.yaml');
    const write = (password: string): void => {
      writeFileSync(
        file,
        [
          'kafka:',
          `  bootstrapServers: ["${secured.saslSsl}"]`,
          `  tls: { caFile: ${join(dir, 'ca.pem')} }`,
          `  sasl: { mechanism: SCRAM-SHA-512, username: ${SECURED_USER.username}, password: ${password} }`,
          '',
        ].join('\n'),
      );
    };
    // The test runner's own broker, named in the environment, would override the file's.
    const env = { KAFKA_BOOTSTRAP_SERVERS: '' };
    write(SECURED_USER.password);
    const ok = await runCliProcess(['kafka', 'status', '--config', file], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /External cluster .*: reachable/);
    write('wrong');
    const refused = await runCliProcess(['kafka', 'status', '--config', file], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /NOT reachable \(.*refused the SASL login.*check kafka\.sasl\)/);
  });
});

describe('kafka: TLS and SASL settings are checked at start-up', () => {
  it('refuses them without bootstrapServers, a certificate without its key, and an unreadable file', () => {
    const issues = (kafka: Record<string, unknown>): string[] => {
      const parsed = configSchema.safeParse({ kafka });
      return parsed.success
        ? []
        : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    };
    assert.match(
      issues({ sasl: { mechanism: 'PLAIN', username: 'u', password: 'p' } }).join('\n'),
      /kafka\.sasl: applies to a cluster named in kafka\.bootstrapServers/,
    );
    assert.match(
      issues({ bootstrapServers: ['h:9093'], tls: { certFile: 'c.pem' } }).join('\n'),
      /kafka\.tls\.keyFile: certFile and keyFile go together/,
    );
    assert.match(
      issues({
        bootstrapServers: ['h:9093'],
        sasl: { mechanism: 'GSSAPI', username: 'u', password: 'p' },
      }).join('\n'),
      /kafka\.sasl\.mechanism/,
    );
    assert.match(
      issues({
        bootstrapServers: ['h:9093'],
        sasl: { mechanism: 'OAUTHBEARER', username: 'u' },
      }).join('\n'),
      /kafka\.sasl\.oauth: required with mechanism OAUTHBEARER[^]*kafka\.sasl\.username: not used with mechanism OAUTHBEARER/,
    );
    assert.match(
      issues({
        bootstrapServers: ['h:9093'],
        sasl: { mechanism: 'SCRAM-SHA-512', username: 'u' },
      }).join('\n'),
      /kafka\.sasl\.password: required with mechanism SCRAM-SHA-512/,
    );
    const parsed = configSchema.parse({
      kafka: { bootstrapServers: ['h:9093'], tls: { caFile: 'missing.pem' } },
    });
    assert.throws(
      () => connectionFromConfig(parsed.kafka, parsed.kafka.bootstrapServers, tmpdir()),
      (error: unknown) =>
        error instanceof GuardstreamError &&
        error.code === 'GS_ERR_CONFIG_INVALID' &&
        /kafka\.tls\.caFile: cannot read .*missing\.pem \(ENOENT\)/.test(error.message),
    );
  });
});
