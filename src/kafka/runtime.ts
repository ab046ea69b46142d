import type { GuardstreamConfig } from '../config/index.ts';
import { LocalBroker } from './broker.ts';

export interface KafkaRuntime {
  bootstrapServers: readonly string[];
  /** What runs Kafka: an external cluster, a broker this process started, or one already running. */
  mode: 'external' | 'embedded-started' | 'embedded-reused';
  broker: LocalBroker | undefined;
  /** Stops what this process started; leaves external and reused brokers alone. */
  stop(): Promise<void>;
}

export function brokerFromConfig(
  config: GuardstreamConfig,
  options: { attached: boolean; onProgress?: (message: string) => void },
): LocalBroker {
  const embedded = config.kafka.embedded;
  return new LocalBroker({
    port: embedded.port,
    controllerPort: embedded.controllerPort,
    dataDir: embedded.dataDir,
    heapMb: embedded.heapMb,
    startTimeoutMs: embedded.startTimeoutMs,
    attached: options.attached,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
}

/**
 * Connects to the configured cluster, or brings up the embedded broker when none is named.
 * A broker left running by `guardstream kafka start` on the same data folder is reused.
 */
export async function startKafka(
  config: GuardstreamConfig,
  options: { onProgress?: (message: string) => void } = {},
): Promise<KafkaRuntime> {
  if (config.kafka.bootstrapServers.length > 0) {
    return {
      bootstrapServers: config.kafka.bootstrapServers,
      mode: 'external',
      broker: undefined,
      stop: () => Promise.resolve(),
    };
  }
  const broker = brokerFromConfig(config, { attached: true, ...options });
  const status = await broker.status();
  if (status.running && status.reachable) {
    return {
      bootstrapServers: [broker.bootstrapServers],
      mode: 'embedded-reused',
      broker,
      stop: () => Promise.resolve(),
    };
  }
  await broker.start();
  return {
    bootstrapServers: [broker.bootstrapServers],
    mode: 'embedded-started',
    broker,
    stop: async () => {
      await broker.stop();
    },
  };
}
