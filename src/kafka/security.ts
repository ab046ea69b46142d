import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { GuardstreamConfig } from '../config/index.ts';
import { GuardstreamError } from '../errors/index.ts';
import type { KafkaConnection, KafkaSecurity } from './client.ts';
import { oauthTokenProvider } from './oauth.ts';

/**
 * The connection every Kafka client of this process uses: the cluster's addresses, the client
 * id, the producers' codec, and the TLS material and SASL credentials of `kafka.tls` /
 * `kafka.sasl`. Files are read
 * here, once, relative to `cwd`; one that cannot be read is a start-up error naming its key.
 */
export function connectionFromConfig(
  kafka: GuardstreamConfig['kafka'],
  bootstrapServers: readonly string[],
  cwd: string,
): KafkaConnection {
  return {
    bootstrapServers,
    clientId: kafka.clientId,
    ...(kafka.compression === 'none' ? {} : { compression: kafka.compression }),
    ...securityFromConfig(kafka, cwd),
  };
}

function securityFromConfig(kafka: GuardstreamConfig['kafka'], cwd: string): KafkaSecurity {
  const security: KafkaSecurity = {};
  if (kafka.tls !== undefined) {
    const pem = (key: 'caFile' | 'certFile' | 'keyFile', file: string | undefined) =>
      file === undefined ? undefined : readPem(`kafka.tls.${key}`, resolve(cwd, file));
    const ca = pem('caFile', kafka.tls.caFile);
    const cert = pem('certFile', kafka.tls.certFile);
    const key = pem('keyFile', kafka.tls.keyFile);
    security.tls = {
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
      ...(kafka.tls.serverName === undefined ? {} : { servername: kafka.tls.serverName }),
    };
  }
  const sasl = kafka.sasl;
  if (sasl === undefined) return security;
  if (sasl.mechanism === 'OAUTHBEARER') {
    // The schema requires oauth with this mechanism.
    const oauth = sasl.oauth;
    if (oauth === undefined) return security;
    security.sasl = {
      mechanism: 'OAUTHBEARER',
      token: oauthTokenProvider({
        tokenEndpoint: oauth.tokenEndpoint,
        clientId: oauth.clientId,
        clientSecret: oauth.clientSecret,
        ...(oauth.scope === undefined ? {} : { scope: oauth.scope }),
      }),
      oauthBearerExtensions: { ...oauth.extensions },
      principal: oauth.clientId,
    };
  } else if (sasl.username !== undefined && sasl.password !== undefined) {
    security.sasl = { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password };
  }
  return security;
}

function readPem(key: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
      message: `${key}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    });
  }
  if (!text.includes('-----BEGIN ')) {
    throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
      message: `${key}: ${path} is not a PEM file (no -----BEGIN line)`,
    });
  }
  return text;
}
