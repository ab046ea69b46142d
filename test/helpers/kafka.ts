import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBroker, TopicAdmin, freePort } from '../../src/kafka/index.ts';
import type { KafkaConnection, LocalBrokerOptions } from '../../src/kafka/index.ts';

let ownBroker: Promise<string> | undefined;

/**
 * The shared broker that scripts/run-tests.ts starts. A test file run on its own (without the
 * runner) gets a broker of its own, killed when the process exits.
 */
export async function testBootstrapServers(): Promise<string> {
  const fromRunner = process.env.KAFKA_BOOTSTRAP_SERVERS;
  if (fromRunner !== undefined && fromRunner !== '') return fromRunner;
  ownBroker ??= (async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'guardstream-test-kafka-'));
    const broker = new LocalBroker({
      port: await freePort(),
      controllerPort: await freePort(),
      dataDir,
      attached: true,
    });
    process.once('exit', () => {
      broker.killNow();
      rmSync(dataDir, { recursive: true, force: true });
    });
    await broker.start();
    // Without this the broker child would keep a lone test file's process alive forever.
    broker.unref();
    return broker.bootstrapServers;
  })();
  return ownBroker;
}

export async function testConnection(
  overrides: Partial<KafkaConnection> = {},
): Promise<KafkaConnection> {
  return {
    bootstrapServers: [await testBootstrapServers()],
    clientId: 'guardstream-test',
    ...overrides,
  };
}

/**
 * A broker of the calling test file's own, for tests that stop or restart it: doing that to the
 * shared one would disturb other test files. `dir` is a scratch folder removed with it.
 */
export async function startOwnBroker(
  name: string,
  configure: (
    dir: string,
  ) => Promise<Partial<LocalBrokerOptions>> | Partial<LocalBrokerOptions> = () => ({}),
): Promise<{
  broker: LocalBroker;
  connection: KafkaConnection;
  dir: string;
  stop: () => Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), `gs-${name}-`));
  const broker = new LocalBroker({
    port: await freePort(),
    controllerPort: await freePort(),
    dataDir: join(dir, 'kafka'),
    attached: true,
    ...(await configure(dir)),
  });
  await broker.start();
  return {
    broker,
    connection: { bootstrapServers: [broker.bootstrapServers], clientId: `${name}-test` },
    dir,
    stop: async () => {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Topic and group names no other test (or earlier run) can collide with. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
  );
}

/**
 * Reads records until `count` have arrived (or `timeoutMs` passes) and returns them. Commits
 * each record when `commit` is set, the way a processor acknowledges finished work.
 */
export async function take<T>(
  records: AsyncGenerator<T>,
  count: number,
  timeoutMs: number,
  onRecord?: (record: T) => Promise<void>,
): Promise<T[]> {
  const taken: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      resolve('timeout');
    }, timeoutMs);
  });
  try {
    while (taken.length < count) {
      const next = await Promise.race([records.next(), timeout]);
      if (next === 'timeout' || next.done === true) break;
      if (onRecord) await onRecord(next.value);
      taken.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return taken;
}

/** Creates a contract's source, target and dead-letter topics. */
export async function createContractTopics(
  connection: KafkaConnection,
  contract: { source: string; target: string; dlq: string },
): Promise<void> {
  const admin = new TopicAdmin(connection);
  try {
    await admin.ensureTopics(
      [contract.source, contract.target, contract.dlq].map((name) => ({ name })),
    );
  } finally {
    await admin.close();
  }
}

/** A user the secured broker knows, by SCRAM and by PLAIN. */
export const SECURED_USER = { username: 'guardstream', password: 'correct-horse-battery-staple' };

/**
 * A broker of the calling test file's own with three secured listeners besides its plaintext one:
 * SASL_SSL (a self-signed certificate for 127.0.0.1, made by the JDK's keytool) and
 * SASL_PLAINTEXT, each taking PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 for `SECURED_USER` and
 * OAUTHBEARER with unsigned tokens (`startTokenEndpointDouble` issues them), and
 * SSL requiring a client certificate (`clientCertPem` / `clientKeyPem`, made by openssl).
 * `caPem` is the certificate a client must trust.
 */
export async function startSecuredBroker(name: string): Promise<
  Awaited<ReturnType<typeof startOwnBroker>> & {
    saslSsl: string;
    saslPlaintext: string;
    mutualTls: string;
    caPem: string;
    clientCertPem: string;
    clientKeyPem: string;
  }
> {
  const saslSslPort = await freePort();
  const saslPlaintextPort = await freePort();
  const mutualTlsPort = await freePort();
  let caPem = '';
  let clientCertPem = '';
  let clientKeyPem = '';
  const started = await startOwnBroker(name, async (dir) => {
    const keystore = join(dir, 'broker.p12');
    const storePassword = randomBytes(12).toString('hex');
    const keytool = (args: string[]): void => {
      const result = spawnSync('keytool', args, { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`keytool failed: ${result.stderr}`);
    };
    keytool([
      '-genkeypair',
      '-alias',
      'broker',
      '-keyalg',
      'RSA',
      '-keysize',
      '2048',
      '-validity',
      '2',
      '-dname',
      'CN=guardstream-test-broker',
      '-ext',
      'SAN=ip:127.0.0.1,dns:localhost',
      '-keystore',
      keystore,
      '-storetype',
      'PKCS12',
      '-storepass',
      storePassword,
      '-keypass',
      storePassword,
    ]);
    const caFile = join(dir, 'ca.pem');
    keytool([
      '-exportcert',
      '-rfc',
      '-alias',
      'broker',
      '-keystore',
      keystore,
      '-storepass',
      storePassword,
      '-file',
      caFile,
    ]);
    caPem = readFileSync(caFile, 'utf8');
    // The client's certificate, self-signed, is what the broker's truststore trusts.
    const clientKey = join(dir, 'client-key.pem');
    const clientCert = join(dir, 'client-cert.pem');
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=guardstream-test-client',
        '-keyout',
        clientKey,
        '-out',
        clientCert,
      ],
      { encoding: 'utf8' },
    );
    if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
    clientCertPem = readFileSync(clientCert, 'utf8');
    clientKeyPem = readFileSync(clientKey, 'utf8');
    const truststore = join(dir, 'truststore.p12');
    keytool([
      '-importcert',
      '-noprompt',
      '-alias',
      'client',
      '-file',
      clientCert,
      '-keystore',
      truststore,
      '-storetype',
      'PKCS12',
      '-storepass',
      storePassword,
    ]);
    const port = await freePort();
    const controllerPort = await freePort();
    const { username, password } = SECURED_USER;
    const jaas = (listener: string): Record<string, string> => ({
      [`listener.name.${listener}.plain.sasl.jaas.config`]: `org.apache.kafka.common.security.plain.PlainLoginModule required user_${username}="${password}";`,
      [`listener.name.${listener}.scram-sha-256.sasl.jaas.config`]:
        'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      [`listener.name.${listener}.scram-sha-512.sasl.jaas.config`]:
        'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      // Kafka's unsecured validator: it checks a token's claims (sub, exp), not a signature.
      [`listener.name.${listener}.oauthbearer.sasl.jaas.config`]:
        'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;',
    });
    return {
      port,
      controllerPort,
      serverProperties: {
        listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort},SASL_SSL://127.0.0.1:${saslSslPort},SASL_PLAINTEXT://127.0.0.1:${saslPlaintextPort},SSL://127.0.0.1:${mutualTlsPort}`,
        'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},SASL_SSL://127.0.0.1:${saslSslPort},SASL_PLAINTEXT://127.0.0.1:${saslPlaintextPort},SSL://127.0.0.1:${mutualTlsPort}`,
        'listener.security.protocol.map':
          'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
        'ssl.keystore.type': 'PKCS12',
        'ssl.keystore.location': keystore,
        'ssl.keystore.password': storePassword,
        'ssl.key.password': storePassword,
        'ssl.truststore.type': 'PKCS12',
        'ssl.truststore.location': truststore,
        'ssl.truststore.password': storePassword,
        'listener.name.ssl.ssl.client.auth': 'required',
        ...jaas('sasl_ssl'),
        ...jaas('sasl_plaintext'),
      },
      scramCredentials: ['SCRAM-SHA-256', 'SCRAM-SHA-512'].map(
        (mechanism) => `${mechanism}=[name=${username},password=${password}]`,
      ),
    };
  });
  return {
    ...started,
    saslSsl: `127.0.0.1:${saslSslPort}`,
    saslPlaintext: `127.0.0.1:${saslPlaintextPort}`,
    mutualTls: `127.0.0.1:${mutualTlsPort}`,
    caPem,
    clientCertPem,
    clientKeyPem,
  };
}
