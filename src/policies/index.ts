import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { setTimeout as sleep } from 'node:timers/promises';
import { builtInDetectors } from '../detectors/index.ts';
import type { DetectorRegistry } from '../detectors/index.ts';
import { GuardstreamError } from '../errors/index.ts';
import { guardPolicySchema } from '../guard/index.ts';
import type { GuardPolicy } from '../guard/index.ts';
import { JsonConsumer, JsonProducer, TopicAdmin, compactedTopicConfigs } from '../kafka/index.ts';
import type { IncomingRecord, KafkaConnection } from '../kafka/index.ts';

/** The record key the guard policy is published under (one policy per topic). */
export const POLICY_KEY = 'guard';

/** The record key of a tenant's own guard policy (the gateway's rails for its requests). */
export function tenantPolicyKey(tenant: string): string {
  return `${POLICY_KEY}:${tenant}`;
}

/** A policy in force, and where it came from. */
export interface PolicyInForce {
  policy: GuardPolicy;
  /** The first 12 hex digits of the sha256 of the policy as published (or as in the file). */
  version: string;
  source: 'file' | 'topic';
  /** The topic record it came from. */
  offset?: bigint;
  /** The tenant whose own policy it is (key `guard:<tenant>`); absent for the policy of all. */
  tenant?: string;
}

/** A policy version: what audit events and metrics name it by. */
export function policyVersion(published: unknown): string {
  return createHash('sha256').update(JSON.stringify(published)).digest('hex').slice(0, 12);
}

const invalid = (problems: readonly string[]): GuardstreamError =>
  new GuardstreamError('GS_ERR_CONFIG_INVALID', {
    message: `Invalid guard policy: ${problems.slice(0, 5).join('; ')}`,
  });

/**
 * The policy a JSON value describes, or a GS_ERR_CONFIG_INVALID that says what is wrong: its
 * shape, and each rule's detector, finding kinds and config as the built-in detectors define
 * them (checked without starting any detector, so no model is loaded).
 */
export function parsePolicy(
  value: unknown,
  registry: DetectorRegistry = builtInDetectors(),
): GuardPolicy {
  const parsed = guardPolicySchema.safeParse(value);
  if (!parsed.success) {
    throw invalid(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  const problems: string[] = [];
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  for (const [stage, policy] of Object.entries(parsed.data.stages)) {
    policy.detectors.forEach((rule, index) => {
      const at = `stages.${stage}.detectors.${String(index)}`;
      const detector = registry.get(rule.detector);
      if (detector === undefined) {
        problems.push(`${at}.detector: unknown detector "${rule.detector}"`);
        return;
      }
      const kinds = new Set(detector.meta.kinds);
      for (const kind of Object.keys(rule.kindActions))
        if (!kinds.has(kind)) problems.push(`${at}.kindActions: no finding kind "${kind}"`);
      // Against the JSON Schema of the config as written: parsing it with zod would run the
      // transforms that start model-backed detectors (the encoder, banned_topics).
      const validate = ajv.compile(
        z.toJSONSchema(detector.configSchema, { io: 'input', unrepresentable: 'any' }),
      );
      if (!validate(rule.config))
        problems.push(
          ...(validate.errors ?? []).map(
            (error) =>
              `${at}.config${error.instancePath.replaceAll('/', '.')}: ${error.message ?? 'invalid'}`,
          ),
        );
    });
  }
  if (problems.length > 0) throw invalid(problems);
  return parsed.data;
}

async function ensurePolicyTopic(connection: KafkaConnection, topic: string): Promise<void> {
  const admin = new TopicAdmin(connection);
  try {
    await admin.ensureTopics([{ name: topic, partitions: 1, configs: compactedTopicConfigs }]);
  } finally {
    await admin.close();
  }
}

/**
 * Validates a guard policy (the `guard` section of the config file, as JSON) and publishes it to
 * the compacted policy topic, where every gateway and contract processor that follows the topic
 * takes it up. An invalid policy is refused here, before any replica sees it.
 */
export async function publishPolicy(
  connection: KafkaConnection,
  topic: string,
  policy: unknown,
  tenant?: string,
): Promise<{ version: string }> {
  parsePolicy(policy);
  await ensurePolicyTopic(connection, topic);
  const producer = new JsonProducer(connection);
  try {
    await producer.send([
      { topic, key: tenant === undefined ? POLICY_KEY : tenantPolicyKey(tenant), value: policy },
    ]);
  } finally {
    await producer.close();
  }
  return { version: policyVersion(policy) };
}

/** Deletes the published policy (a tombstone): followers go back to their config file's. */
export async function retractPolicy(
  connection: KafkaConnection,
  topic: string,
  tenant?: string,
): Promise<void> {
  await ensurePolicyTopic(connection, topic);
  const producer = new JsonProducer(connection);
  try {
    await producer.send([
      { topic, key: tenant === undefined ? POLICY_KEY : tenantPolicyKey(tenant), value: null },
    ]);
  } finally {
    await producer.close();
  }
}

export interface PolicyFollowerOptions {
  topic: string;
  /** The config file's policy: in force until the topic has one, and again after a tombstone. */
  filePolicy: GuardPolicy;
  /**
   * Called with each policy about to come into force (not with the file's at start); it comes
   * into force once this returns or resolves, and is refused (the one in force stays) when this
   * throws or rejects. The follower reads the next record only after it settled.
   */
  onChange: (policy: PolicyInForce) => void | Promise<void>;
  /**
   * Called with each tenant's published policy (key `guard:<tenant>`) as it comes into force,
   * and with undefined when it is retracted (the tenant goes back to its file's). Refused like
   * `onChange` when it throws. Without it, tenants' records are passed over.
   */
  onTenantChange?: (tenant: string, policy: PolicyInForce | undefined) => void | Promise<void>;
  /** Called with each published value that is not a valid policy; the one in force stays. */
  onRejected?: (reason: string, offset: bigint) => void;
  /** How long `start()` waits to read up to the topic's end (default 30 s). */
  catchUpTimeoutMs?: number;
}

/**
 * Follows the compacted policy topic from its beginning, as every replica must see the latest
 * policy whatever the others did: a consumer group of its own per process, offsets never
 * committed. `start()` resolves once what the topic held at start has been read, so a replica
 * never serves a request under a policy older than the published one.
 */
export class PolicyFollower {
  private current: PolicyInForce;
  /** Tenants' policies published on the topic and in force. */
  private readonly tenants = new Map<string, PolicyInForce>();
  private consumer: JsonConsumer | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly connection: KafkaConnection,
    private readonly options: PolicyFollowerOptions,
  ) {
    this.current = {
      policy: options.filePolicy,
      version: policyVersion(options.filePolicy),
      source: 'file',
    };
  }

  get inForce(): PolicyInForce {
    return this.current;
  }

  /** The tenants' own policies published on the topic and in force, by tenant. */
  get tenantsInForce(): ReadonlyMap<string, PolicyInForce> {
    return this.tenants;
  }

  async start(): Promise<void> {
    await ensurePolicyTopic(this.connection, this.options.topic);
    let caughtUp: () => void = () => undefined;
    let failed: (error: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      caughtUp = resolve;
      failed = reject;
    });
    const timer = setTimeout(() => {
      failed(
        new GuardstreamError('GS_ERR_KAFKA_TIMEOUT', {
          message: `Could not read the policy topic ${this.options.topic} to its end in time`,
        }),
      );
    }, this.options.catchUpTimeoutMs ?? 30_000);
    this.running = this.follow(caughtUp, failed);
    try {
      await ready;
    } catch (error) {
      await this.stop();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Reads the topic until stopped. A Kafka failure after start-up reconnects and reads the topic
   * again from its beginning (the same policy again changes nothing), as the indexer does.
   */
  private async follow(caughtUp: () => void, failed: (error: Error) => void): Promise<void> {
    let started = false;
    while (!this.isStopped()) {
      const consumer = new JsonConsumer(this.connection, {
        groupId: `guardstream-policy-${hostname()}-${String(process.pid)}-${randomUUID().slice(0, 8)}`,
        startFrom: 'earliest',
        ignoreCommitted: true,
        maxWaitTimeMs: 100,
      });
      this.consumer = consumer;
      try {
        const ends = await consumer.endOffsets(this.options.topic);
        const read = new Map<number, bigint>();
        const done = (): boolean =>
          ends.every((end, partition) => end === 0n || (read.get(partition) ?? -1n) + 1n >= end);
        if (done()) {
          started = true;
          caughtUp();
        }
        for await (const batch of consumer.batches([this.options.topic], 100)) {
          for (const record of batch) {
            await this.apply(record);
            read.set(record.partition, record.offset);
          }
          if (!started && done()) {
            started = true;
            caughtUp();
          }
          if (this.isStopped()) break;
        }
      } catch (error) {
        if (!started) {
          failed(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (!this.isStopped()) await sleep(500);
      } finally {
        await consumer.close().catch(() => undefined);
      }
    }
  }

  private async apply(record: IncomingRecord<unknown>): Promise<void> {
    if (record.key?.startsWith(`${POLICY_KEY}:`) === true) {
      await this.applyTenant(record.key.slice(POLICY_KEY.length + 1), record);
      return;
    }
    if (record.key !== POLICY_KEY) return;
    if (record.rawValue === null) {
      if (this.current.source === 'file') return;
      await this.change({
        policy: this.options.filePolicy,
        version: policyVersion(this.options.filePolicy),
        source: 'file',
      });
      return;
    }
    let published: unknown;
    let policy: GuardPolicy;
    try {
      published = JSON.parse(record.rawValue.toString('utf8'));
      policy = parsePolicy(published);
    } catch (error) {
      this.options.onRejected?.(
        error instanceof Error ? error.message : String(error),
        record.offset,
      );
      return;
    }
    const version = policyVersion(published);
    if (version === this.current.version && this.current.source === 'topic') return;
    await this.change({ policy, version, source: 'topic', offset: record.offset });
  }

  private async applyTenant(tenant: string, record: IncomingRecord<unknown>): Promise<void> {
    const onTenantChange = this.options.onTenantChange;
    if (onTenantChange === undefined || tenant === '') return;
    const current = this.tenants.get(tenant);
    let next: PolicyInForce | undefined;
    if (record.rawValue !== null) {
      try {
        const published: unknown = JSON.parse(record.rawValue.toString('utf8'));
        next = {
          policy: parsePolicy(published),
          version: policyVersion(published),
          source: 'topic',
          offset: record.offset,
          tenant,
        };
      } catch (error) {
        this.options.onRejected?.(
          error instanceof Error ? error.message : String(error),
          record.offset,
        );
        return;
      }
      if (next.version === current?.version) return;
    } else if (current === undefined) {
      return;
    }
    try {
      await onTenantChange(tenant, next);
    } catch (error) {
      this.options.onRejected?.(
        error instanceof Error ? error.message : String(error),
        record.offset,
      );
      return;
    }
    if (next === undefined) this.tenants.delete(tenant);
    else this.tenants.set(tenant, next);
  }

  private async change(next: PolicyInForce): Promise<void> {
    // A policy the components cannot run (a model it names is not on this instance, or does not
    // load) is refused like an invalid one: the previous policy stays, and following goes on.
    try {
      await this.options.onChange(next);
    } catch (error) {
      this.options.onRejected?.(
        error instanceof Error ? error.message : String(error),
        next.offset ?? -1n,
      );
      return;
    }
    this.current = next;
  }

  /** A method, not the field, so a check after an await is not narrowed away. */
  private isStopped(): boolean {
    return this.stopped;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer?.close().catch(() => undefined);
    await this.running?.catch(() => undefined);
  }
}
