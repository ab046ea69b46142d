/**
 * Environment variables that may override documented configuration keys. Overrides are applied
 * to the raw document before validation, so a bad value is reported at its config path just
 * like a bad value in the file.
 */
export interface EnvOverride {
  readonly variable: string;
  readonly path: readonly string[];
  readonly parse: (raw: string) => unknown;
  readonly description: string;
}

const asList = (raw: string): string[] =>
  raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

/** Non-numeric input stays a string so validation names the key and says "expected number". */
const asNumber = (raw: string): unknown => {
  const trimmed = raw.trim();
  return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : raw;
};

const asString = (raw: string): string => raw;

export const envOverrides: readonly EnvOverride[] = [
  {
    variable: 'KAFKA_BOOTSTRAP_SERVERS',
    path: ['kafka', 'bootstrapServers'],
    parse: asList,
    description:
      'Comma-separated host:port list of an existing cluster; disables the embedded broker.',
  },
  {
    variable: 'GUARDSTREAM_KAFKA_SASL_MECHANISM',
    path: ['kafka', 'sasl', 'mechanism'],
    parse: asString,
    description:
      'SASL mechanism for the cluster: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER.',
  },
  {
    variable: 'GUARDSTREAM_KAFKA_SASL_USERNAME',
    path: ['kafka', 'sasl', 'username'],
    parse: asString,
    description: 'SASL user name (API key) for the cluster.',
  },
  {
    variable: 'GUARDSTREAM_KAFKA_SASL_PASSWORD',
    path: ['kafka', 'sasl', 'password'],
    parse: asString,
    description: 'SASL password (API secret) for the cluster; keeps it out of the file.',
  },
  {
    variable: 'GUARDSTREAM_KAFKA_OAUTH_CLIENT_SECRET',
    path: ['kafka', 'sasl', 'oauth', 'clientSecret'],
    parse: asString,
    description: 'OAuth client secret for OAUTHBEARER; keeps it out of the file.',
  },
  {
    variable: 'GUARDSTREAM_KAFKA_TLS_CA_FILE',
    path: ['kafka', 'tls', 'caFile'],
    parse: asString,
    description: "PEM file of the CAs that signed the cluster's certificates; turns TLS on.",
  },
  {
    variable: 'GUARDSTREAM_KAFKA_PORT',
    path: ['kafka', 'embedded', 'port'],
    parse: asNumber,
    description: 'Client port of the embedded broker.',
  },
  {
    variable: 'GUARDSTREAM_KAFKA_CONTROLLER_PORT',
    path: ['kafka', 'embedded', 'controllerPort'],
    parse: asNumber,
    description: 'Controller port of the embedded broker.',
  },
  {
    variable: 'GUARDSTREAM_KAFKA_DATA_DIR',
    path: ['kafka', 'embedded', 'dataDir'],
    parse: asString,
    description: 'Data folder of the embedded broker.',
  },
  {
    variable: 'GUARDSTREAM_RAG_DATA_DIR',
    path: ['rag', 'dataDir'],
    parse: asString,
    description: 'Folder of the embedded knowledge store.',
  },
  {
    variable: 'GUARDSTREAM_RAG_ENABLED',
    path: ['rag', 'enabled'],
    parse: (raw: string): unknown => (raw === 'true' ? true : raw === 'false' ? false : raw),
    description: 'true or false: run the indexer and retrieval.',
  },
  {
    variable: 'GUARDSTREAM_SERVER_HOST',
    path: ['server', 'host'],
    parse: asString,
    description: 'Address the HTTP server binds to.',
  },
  {
    variable: 'GUARDSTREAM_SERVER_PORT',
    path: ['server', 'port'],
    parse: asNumber,
    description: 'Port the HTTP server listens on.',
  },
  {
    variable: 'GUARDSTREAM_SHUTDOWN_STEP_MS',
    path: ['server', 'shutdownStepMs'],
    parse: asNumber,
    description: 'How long a shutdown waits for each part before going on without it.',
  },
  {
    variable: 'GUARDSTREAM_LOG_LEVEL',
    path: ['log', 'level'],
    parse: asString,
    description: 'Log level.',
  },
];

type Env = Readonly<Record<string, string | undefined>>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns a copy of `document` with every set override written at its path. */
export function applyEnvOverrides(document: unknown, env: Env): unknown {
  const root: Record<string, unknown> = isPlainObject(document) ? structuredClone(document) : {};
  for (const override of envOverrides) {
    const raw = env[override.variable];
    if (raw === undefined || raw === '') continue;
    let node = root;
    const parents = override.path.slice(0, -1);
    for (const key of parents) {
      const child = node[key];
      if (!isPlainObject(child)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    const leaf = override.path.at(-1);
    if (leaf !== undefined) node[leaf] = override.parse(raw);
  }
  return root;
}
