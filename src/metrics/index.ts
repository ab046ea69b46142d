import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The metric families of the contract processors, labelled by contract name. */
export interface ContractMetricFamilies {
  recordsIn: Counter<'contract'>;
  recordsOut: Counter<'contract'>;
  recordsDlq: Counter<'contract' | 'kind'>;
  lag: Gauge<'contract'>;
  batchSeconds: Histogram<'contract'>;
  recordAgeSeconds: Histogram<'contract'>;
  restarts: Counter<'contract'>;
}

/** The metric families of the RAG indexer and retrieval. */
export interface RagMetricFamilies {
  documents: Counter<'outcome'>;
  freshnessSeconds: Histogram;
  chunks: Gauge;
  batchSeconds: Histogram;
  querySeconds: Histogram;
}

/** The metric families of the HTTP gateway. */
export interface GatewayMetricFamilies {
  requests: Counter<'route' | 'status'>;
  durationSeconds: Histogram<'route'>;
  railActions: Counter<'stage' | 'action'>;
  checkCache: Counter<'result'>;
  auditDropped: Counter;
}

/** The guard policy in force (the policy topic's follower reports it). */
export interface PolicyMetricFamilies {
  inForce: Gauge<'version' | 'source'>;
  tenantInForce: Gauge<'tenant' | 'version'>;
  rejected: Counter;
}

/**
 * One Prometheus registry per running Guardstream, handed to each component that reports, so
 * two instances in one process (tests, embedding) never share counters.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly contracts: ContractMetricFamilies;
  readonly rag: RagMetricFamilies;
  readonly gateway: GatewayMetricFamilies;
  readonly policy: PolicyMetricFamilies;
  /** The version each tenant's series carries, to remove it when the tenant's policy changes. */
  private readonly tenantVersions = new Map<string, string>();

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry, prefix: 'guardstream_' });
    }
    const registers = [this.registry];
    this.contracts = {
      recordsIn: new Counter({
        name: 'guardstream_contract_records_in_total',
        help: 'Records read from the source topic.',
        labelNames: ['contract'],
        registers,
      }),
      recordsOut: new Counter({
        name: 'guardstream_contract_records_out_total',
        help: 'Records written to the target topic.',
        labelNames: ['contract'],
        registers,
      }),
      recordsDlq: new Counter({
        name: 'guardstream_contract_records_dlq_total',
        help: 'Records written to the dead-letter topic, by rejection kind.',
        labelNames: ['contract', 'kind'],
        registers,
      }),
      lag: new Gauge({
        name: 'guardstream_contract_lag_records',
        help: 'Records in the source partitions this instance owns that it has not committed yet.',
        labelNames: ['contract'],
        registers,
      }),
      batchSeconds: new Histogram({
        name: 'guardstream_contract_batch_duration_seconds',
        help: 'Time to evaluate one fetched batch and have its output and offsets acknowledged.',
        labelNames: ['contract'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
      recordAgeSeconds: new Histogram({
        name: 'guardstream_contract_record_latency_seconds',
        help: 'From the record timestamp on the source topic to its result being acknowledged (last record of each batch).',
        labelNames: ['contract'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers,
      }),
      restarts: new Counter({
        name: 'guardstream_contract_restarts_total',
        help: 'Times the processor reconnected after a Kafka error (replaying from the committed offsets).',
        labelNames: ['contract'],
        registers,
      }),
    };
    this.rag = {
      documents: new Counter({
        name: 'guardstream_rag_documents_total',
        help: 'Knowledge records applied by the indexer, by outcome (indexed, deleted, quarantined, invalid).',
        labelNames: ['outcome'],
        registers,
      }),
      freshnessSeconds: new Histogram({
        name: 'guardstream_rag_freshness_seconds',
        help: 'From the knowledge record timestamp on Kafka to its chunks being searchable.',
        buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 10, 30, 60],
        registers,
      }),
      chunks: new Gauge({
        name: 'guardstream_rag_index_chunks',
        help: 'Chunks in the knowledge store (index size).',
        registers,
      }),
      batchSeconds: new Histogram({
        name: 'guardstream_rag_index_batch_duration_seconds',
        help: 'Time to guard, chunk, embed and commit one fetched batch of knowledge records.',
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
      querySeconds: new Histogram({
        name: 'guardstream_rag_query_duration_seconds',
        help: 'Hybrid retrieval latency (embedding the query, vector and full-text search, fusion).',
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
        registers,
      }),
    };
    this.gateway = {
      requests: new Counter({
        name: 'guardstream_gateway_requests_total',
        help: 'API requests by route and HTTP status.',
        labelNames: ['route', 'status'],
        registers,
      }),
      durationSeconds: new Histogram({
        name: 'guardstream_gateway_request_duration_seconds',
        help: 'API request latency, provider time included (to the last byte when streaming).',
        labelNames: ['route'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers,
      }),
      railActions: new Counter({
        name: 'guardstream_gateway_rail_actions_total',
        help: 'Guard checks in the gateway by stage and effective action.',
        labelNames: ['stage', 'action'],
        registers,
      }),
      checkCache: new Counter({
        name: 'guardstream_gateway_check_cache_total',
        help: 'Input and retrieval checks looked up in the check cache, by result (hit or miss).',
        labelNames: ['result'],
        registers,
      }),
      auditDropped: new Counter({
        name: 'guardstream_gateway_audit_dropped_total',
        help: 'Audit events dropped because Kafka did not take them and the buffer was full.',
        registers,
      }),
    };
    this.policy = {
      inForce: new Gauge({
        name: 'guardstream_policy_in_force',
        help: 'The guard policy in force: 1 for its version and source (file or topic).',
        labelNames: ['version', 'source'],
        registers,
      }),
      tenantInForce: new Gauge({
        name: 'guardstream_tenant_policy_in_force',
        help: "A tenant's own guard policy published on the policy topic and in force for its gateway requests: 1 for the tenant and version.",
        labelNames: ['tenant', 'version'],
        registers,
      }),
      rejected: new Counter({
        name: 'guardstream_policy_rejected_total',
        help: 'Values on the policy topic that were not a valid guard policy (the one in force stayed).',
        registers,
      }),
    };
  }

  /** Reports the policy in force, replacing the previous one's series. */
  policyInForce(version: string, source: string): void {
    this.policy.inForce.reset();
    this.policy.inForce.set({ version, source }, 1);
  }

  /** A tenant's published policy came into force (a version), or was retracted (undefined). */
  tenantPolicyInForce(tenant: string, version: string | undefined): void {
    const previous = this.tenantVersions.get(tenant);
    if (previous !== undefined) this.policy.tenantInForce.remove({ tenant, version: previous });
    if (version === undefined) {
      this.tenantVersions.delete(tenant);
      return;
    }
    this.tenantVersions.set(tenant, version);
    this.policy.tenantInForce.set({ tenant, version }, 1);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
