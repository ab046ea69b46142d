import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { GuardstreamConfig } from '../config/index.ts';
import type { RunningContracts } from '../contracts/index.ts';
import { builtInDetectors } from '../detectors/index.ts';
import { GuardstreamError } from '../errors/index.ts';
import type { GatewayRuntime } from '../gateway/index.ts';
import { GuardEngine } from '../guard/index.ts';
import type { DetectorBindings } from '../guard/index.ts';
import type { KafkaConnection } from '../kafka/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { PolicyFollower, publishPolicy, retractPolicy } from '../policies/index.ts';
import type { PolicyInForce } from '../policies/index.ts';
import type { Indexer } from '../rag/index.ts';

/** How long a replaced policy's engine lives on for checks that started under it. */
const RETIRE_AFTER_MS = 60_000;

/** What a followed policy is applied to, once they run. */
export interface PolicyTargets {
  contracts?: RunningContracts;
  gateway?: GatewayRuntime;
  indexer?: Indexer;
}

export interface FollowedPolicies {
  /** The configuration with the policy in force as its `guard`: start the components with it. */
  config: GuardstreamConfig;
  /** From now on, each new policy is applied to these. */
  bind(targets: PolicyTargets): void;
  stop(): Promise<void>;
}

/**
 * With `policies.follow`, reads the policy topic before anything starts, so the components start
 * under the published policy, then keeps applying what is published. Without it, the file's.
 */
export async function followPolicies(
  config: GuardstreamConfig,
  connection: KafkaConnection,
  metrics: Metrics,
  progress: (message: string) => void,
  options: { retireAfterMs?: number; bindings?: DetectorBindings } = {},
): Promise<FollowedPolicies> {
  if (!config.policies.follow) {
    return { config, bind: () => undefined, stop: () => Promise.resolve() };
  }
  let targets: PolicyTargets | undefined;
  // The engine of a policy read before the components started: it proved the policy runnable,
  // and holds its models until the components, built with the same bindings, hold them too.
  let beforeStart: GuardEngine | undefined;
  const apply = (inForce: PolicyInForce): void => {
    // Built before any component takes it: a policy this instance cannot run (a model it names
    // is missing) throws here, and the follower keeps the previous one everywhere.
    const engine = new GuardEngine(inForce.policy, builtInDetectors(), options.bindings);
    if (targets === undefined) {
      beforeStart?.close();
      beforeStart = engine;
    } else {
      const { contracts, gateway, indexer } = targets;
      // The engines this replaces (the components' start-up ones, or the previous policy's) may
      // still be checking requests and batches that started under them; the models only they
      // hold are freed once those have had time to finish.
      const replaced = new Set<GuardEngine>(contracts?.applyPolicy(engine) ?? []);
      if (gateway !== undefined) replaced.add(gateway.applyPolicy(engine, inForce.version));
      const indexed = indexer?.useGuard(engine);
      if (indexed !== undefined) replaced.add(indexed);
      replaced.delete(engine);
      if (replaced.size > 0)
        setTimeout(() => {
          for (const old of replaced) old.close();
        }, options.retireAfterMs ?? RETIRE_AFTER_MS).unref();
    }
    metrics.policyInForce(inForce.version, inForce.source);
    progress(
      `guard policy ${inForce.version} in force (${inForce.source === 'topic' ? `${config.policies.topic}@${String(inForce.offset ?? '')}` : 'the configuration file'})`,
    );
  };
  const follower = new PolicyFollower(connection, {
    topic: config.policies.topic,
    filePolicy: config.guard,
    onChange: apply,
    onRejected: (reason, offset) => {
      metrics.policy.rejected.inc();
      progress(
        `ignored ${config.policies.topic}@${String(offset)}: ${reason}; the policy in force stays`,
      );
    },
  });
  await follower.start();
  metrics.policyInForce(follower.inForce.version, follower.inForce.source);
  return {
    config: { ...config, guard: follower.inForce.policy },
    bind(next) {
      targets = next;
      beforeStart?.close();
      beforeStart = undefined;
    },
    async stop() {
      await follower.stop();
      beforeStart?.close();
    },
  };
}

/** The `guard` section of a YAML or JSON file: a whole configuration file, or the section alone. */
function readPolicyFile(path: string): unknown {
  const document = parseDocument(readFileSync(path, 'utf8'));
  if (document.errors.length > 0) {
    throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
      message: `${path}: ${document.errors.map((error) => error.message).join('; ')}`,
    });
  }
  const value: unknown = document.toJS();
  if (typeof value === 'object' && value !== null && 'guard' in value) {
    return value.guard;
  }
  return value;
}

/** `guardstream policy publish FILE` / `guardstream policy retract`. */
export async function policyCommand(
  subcommand: string | undefined,
  rest: readonly string[],
  config: GuardstreamConfig,
  connection: KafkaConnection,
  cwd: string,
  out: (text: string) => void,
): Promise<boolean> {
  const topic = config.policies.topic;
  if (subcommand === 'publish' && rest[0] !== undefined) {
    const { version } = await publishPolicy(
      connection,
      topic,
      readPolicyFile(resolve(cwd, rest[0])),
    );
    out(`published guard policy ${version} to ${topic}\n`);
    return true;
  }
  if (subcommand === 'retract') {
    await retractPolicy(connection, topic);
    out(
      `retracted the published guard policy on ${topic}: followers use their configuration file's\n`,
    );
    return true;
  }
  return false;
}
