import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument, stringify as toYaml } from 'yaml';
import type { GuardstreamConfig } from '../config/index.ts';
import type { RunningContracts } from '../contracts/index.ts';
import { builtInDetectors } from '../detectors/index.ts';
import { GuardstreamError } from '../errors/index.ts';
import type { GatewayRuntime } from '../gateway/index.ts';
import { GuardEngine, guardPolicySchema } from '../guard/index.ts';
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
  options: {
    retireAfterMs?: number;
    bindings?: DetectorBindings;
    /** Take the tenants' own published policies (key `guard:<tenant>`) to the gateway. */
    tenants?: boolean;
  } = {},
): Promise<FollowedPolicies> {
  if (!config.policies.follow) {
    return { config, bind: () => undefined, stop: () => Promise.resolve() };
  }
  let targets: PolicyTargets | undefined;
  // The engine of a policy read before the components started: it proved the policy runnable,
  // and holds its models until the components, built with the same bindings, hold them too.
  let beforeStart: { engine: GuardEngine; version: string } | undefined;
  const retire = (replaced: Iterable<GuardEngine>): void => {
    const engines = [...replaced];
    if (engines.length > 0)
      setTimeout(() => {
        for (const old of engines) old.close();
      }, options.retireAfterMs ?? RETIRE_AFTER_MS).unref();
  };
  // Tenants' policies read before the gateway started, put in force when it binds.
  const tenantsBeforeStart = new Map<
    string,
    { engine: GuardEngine | undefined; version: string }
  >();
  const putTenantInForce = (
    tenant: string,
    engine: GuardEngine | undefined,
    version: string,
    to: PolicyTargets,
  ): void => {
    if (to.gateway === undefined) {
      engine?.close();
      return;
    }
    retire(to.gateway.applyTenantPolicy(tenant, engine, version));
  };
  const applyTenant = async (tenant: string, inForce: PolicyInForce | undefined): Promise<void> => {
    const engine =
      inForce === undefined
        ? undefined
        : await GuardEngine.start(inForce.policy, builtInDetectors(), options.bindings);
    const version = inForce?.version ?? '';
    if (targets === undefined) {
      tenantsBeforeStart.get(tenant)?.engine?.close();
      tenantsBeforeStart.set(tenant, { engine, version });
    } else {
      putTenantInForce(tenant, engine, version, targets);
    }
    metrics.tenantPolicyInForce(tenant, inForce?.version);
    progress(
      inForce === undefined
        ? `tenant ${tenant}'s published guard policy retracted: its configuration file's, or the policy in force for all`
        : `tenant ${tenant}'s guard policy ${inForce.version} in force (${config.policies.topic}@${String(inForce.offset ?? '')})`,
    );
  };
  const putInForce = (engine: GuardEngine, version: string, to: PolicyTargets): void => {
    const { contracts, gateway, indexer } = to;
    // The engines this replaces (the components' start-up ones, or the previous policy's) may
    // still be checking requests and batches that started under them; the models only they
    // hold are freed once those have had time to finish.
    const replaced = new Set<GuardEngine>(contracts?.applyPolicy(engine) ?? []);
    for (const old of gateway?.applyPolicy(engine, version) ?? []) replaced.add(old);
    const indexed = indexer?.useGuard(engine);
    if (indexed !== undefined) replaced.add(indexed);
    replaced.delete(engine);
    retire(replaced);
  };
  const apply = async (inForce: PolicyInForce): Promise<void> => {
    // Built before any component takes it: a policy this instance cannot run (a model it names
    // is missing or does not load) is refused, and the follower keeps the previous one
    // everywhere. The models load on their threads while requests go on under the policy in
    // force.
    const engine = await GuardEngine.start(inForce.policy, builtInDetectors(), options.bindings);
    if (targets === undefined) {
      beforeStart?.engine.close();
      beforeStart = { engine, version: inForce.version };
    } else {
      putInForce(engine, inForce.version, targets);
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
    ...(options.tenants === true ? { onTenantChange: applyTenant } : {}),
    onRejected: (reason, offset) => {
      metrics.policy.rejected.inc();
      progress(
        `ignored ${config.policies.topic}@${String(offset)}: ${reason}; the policy in force stays`,
      );
    },
  });
  await follower.start();
  metrics.policyInForce(follower.inForce.version, follower.inForce.source);
  const startedWith = follower.inForce.version;
  return {
    config: { ...config, guard: follower.inForce.policy },
    bind(next) {
      targets = next;
      for (const [tenant, { engine, version }] of tenantsBeforeStart)
        putTenantInForce(tenant, engine, version, next);
      tenantsBeforeStart.clear();
      const pending = beforeStart;
      beforeStart = undefined;
      if (pending === undefined) return;
      // A policy that came into force while the components were starting (with the one handed
      // out in `config`) is theirs now; otherwise they already run it, and hold its models.
      if (pending.version === startedWith) pending.engine.close();
      else putInForce(pending.engine, pending.version, next);
    },
    async stop() {
      await follower.stop();
      beforeStart?.engine.close();
      for (const { engine } of tenantsBeforeStart.values()) engine?.close();
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

/**
 * What a follower would put in force from `topic` now: the last valid policy published for all
 * (undefined when there is none: never published, or retracted), and the tenants' own.
 */
async function publishedPolicies(
  connection: KafkaConnection,
  topic: string,
): Promise<{ all: PolicyInForce | undefined; tenants: ReadonlyMap<string, PolicyInForce> }> {
  const follower = new PolicyFollower(connection, {
    topic,
    // Only compared against: a follower with no published policy reports the file's.
    filePolicy: guardPolicySchema.parse({}),
    onChange: () => undefined,
    onTenantChange: () => undefined,
  });
  await follower.start();
  try {
    return {
      all: follower.inForce.source === 'topic' ? follower.inForce : undefined,
      tenants: new Map(follower.tenantsInForce),
    };
  } finally {
    await follower.stop();
  }
}

/** `guardstream policy publish FILE` / `guardstream policy retract` / `guardstream policy show`. */
export async function policyCommand(
  subcommand: string | undefined,
  rest: readonly string[],
  config: GuardstreamConfig,
  connection: KafkaConnection,
  cwd: string,
  out: (text: string) => void,
  json = false,
  tenant?: string,
): Promise<boolean> {
  const topic = config.policies.topic;
  const whose = tenant === undefined ? 'guard policy' : `guard policy of tenant ${tenant}`;
  if (subcommand === 'show') {
    const { all, tenants } = await publishedPolicies(connection, topic);
    const describe = (published: PolicyInForce): Record<string, unknown> => ({
      version: published.version,
      offset: String(published.offset ?? ''),
      policy: published.policy,
    });
    if (json) {
      out(
        `${JSON.stringify({
          topic,
          published: all !== undefined,
          ...(all === undefined ? {} : describe(all)),
          tenants: Object.fromEntries(
            [...tenants].map(([name, policy]) => [name, describe(policy)]),
          ),
        })}\n`,
      );
      return true;
    }
    out(
      all === undefined
        ? `no guard policy published on ${topic}: followers use their configuration file's\n`
        : `guard policy ${all.version} published on ${topic}@${String(all.offset ?? '')}, as followers run it (defaults filled in):\n${toYaml({ guard: all.policy })}`,
    );
    for (const [name, published] of tenants)
      out(
        `guard policy ${published.version} of tenant ${name} published on ${topic}@${String(published.offset ?? '')} (gateway requests of that tenant):\n${toYaml({ guard: published.policy })}`,
      );
    return true;
  }
  if (subcommand === 'publish' && rest[0] !== undefined) {
    const { version } = await publishPolicy(
      connection,
      topic,
      readPolicyFile(resolve(cwd, rest[0])),
      tenant,
    );
    out(`published ${whose} ${version} to ${topic}\n`);
    return true;
  }
  if (subcommand === 'retract') {
    await retractPolicy(connection, topic, tenant);
    out(
      tenant === undefined
        ? `retracted the published guard policy on ${topic}: followers use their configuration file's\n`
        : `retracted the published ${whose} on ${topic}: its requests go back to its configuration file's policy, or the one in force for all\n`,
    );
    return true;
  }
  return false;
}
