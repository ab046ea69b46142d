export {
  LocalBroker,
  ensureKafkaInstalled,
  defaultLibsDir,
  freePort,
  isPortFree,
  probeMetadata,
} from './broker.ts';
export type { BrokerStatus, InstallOptions, LocalBrokerOptions, MetadataProbe } from './broker.ts';
export {
  JsonConsumer,
  JsonProducer,
  TopicAdmin,
  TransactionalProducer,
  compactedTopicConfigs,
  lastPerPartition,
  decodeJson,
  encodeJson,
} from './client.ts';
export { connectionFromConfig } from './security.ts';
export type {
  ConsumerOptions,
  IncomingRecord,
  KafkaConnection,
  KafkaSecurity,
  OutgoingRecord,
  ProduceReceipt,
  ProducerOptions,
  RecordHeaders,
  TopicDescription,
  TopicSpec,
} from './client.ts';
export { toKafkaError } from './errors.ts';
export { brokerFromConfig, startKafka } from './runtime.ts';
export type { KafkaRuntime } from './runtime.ts';
export { packageRoot } from './paths.ts';
