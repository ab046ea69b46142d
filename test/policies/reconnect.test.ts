import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { guardPolicySchema } from '../../src/guard/index.ts';
import { LocalBroker, freePort } from '../../src/kafka/index.ts';
import type { KafkaConnection } from '../../src/kafka/index.ts';
import { PolicyFollower, policyVersion, publishPolicy } from '../../src/policies/index.ts';
import { eventually, uniqueName } from '../helpers/kafka.ts';

const banning = (word: string): Record<string, unknown> => ({
  stages: {
    input: {
      detectors: [
        { detector: 'banned_substrings', action: 'block', config: { substrings: [word] } },
      ],
    },
  },
});

/**
 * This file runs its own broker, because restarting the shared one would disturb other test
 * files.
 */
describe('policies: the follower across a broker restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gs-policy-restart-'));
  let broker: LocalBroker;
  let connection: KafkaConnection;

  before(async () => {
    broker = new LocalBroker({
      port: await freePort(),
      controllerPort: await freePort(),
      dataDir: join(dataDir, 'kafka'),
      attached: true,
    });
    await broker.start();
    connection = { bootstrapServers: [broker.bootstrapServers], clientId: 'policy-restart-test' };
  });

  after(async () => {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the policy in force while the broker is down, and follows what is published after it is back', async () => {
    const topic = uniqueName('policies');
    const first = banning('quince');
    await publishPolicy(connection, topic, first);
    const changes: string[] = [];
    const follower = new PolicyFollower(connection, {
      topic,
      filePolicy: guardPolicySchema.parse({}),
      onChange: (policy) => changes.push(policy.version),
    });
    await follower.start();
    try {
      assert.equal(follower.inForce.version, policyVersion(first));
      await broker.stop();
      // Long enough for the follower's consumer to fail and retry at least once.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.equal(follower.inForce.version, policyVersion(first), 'the policy in force stays');
      await broker.start();
      const second = banning('medlar');
      await publishPolicy(connection, topic, second);
      await eventually(
        () => (follower.inForce.version === policyVersion(second) ? true : undefined),
        60_000,
        'the policy published after the restart',
      );
      // Reading the topic again from its beginning after reconnecting re-applies nothing old:
      // the first policy was in force once, then the second.
      assert.deepEqual(changes, [policyVersion(first), policyVersion(second)]);
    } finally {
      await follower.stop();
    }
  });
});
