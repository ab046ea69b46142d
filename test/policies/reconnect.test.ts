import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { guardPolicySchema } from '../../src/guard/index.ts';
import type { KafkaConnection, LocalBroker } from '../../src/kafka/index.ts';
import { PolicyFollower, policyVersion, publishPolicy } from '../../src/policies/index.ts';
import { eventually, startOwnBroker, uniqueName } from '../helpers/kafka.ts';

const banning = (word: string): Record<string, unknown> => ({
  stages: {
    input: {
      detectors: [
        { detector: 'banned_substrings', action: 'block', config: { substrings: [word] } },
      ],
    },
  },
});

/** Runs its own broker (startOwnBroker), as it stops and restarts it. */
describe('policies: the follower across a broker restart', () => {
  let own: Awaited<ReturnType<typeof startOwnBroker>>;
  let broker: LocalBroker;
  let connection: KafkaConnection;

  before(async () => {
    own = await startOwnBroker('policy-restart');
    ({ broker, connection } = own);
  });

  after(async () => {
    await own.stop();
  });

  it('keeps the policy in force while the broker is down, and follows what is published after it is back', async () => {
    const topic = uniqueName('policies');
    const first = banning('quince');
    await publishPolicy(connection, topic, first);
    const changes: string[] = [];
    const follower = new PolicyFollower(connection, {
      topic,
      filePolicy: guardPolicySchema.parse({}),
      onChange: (policy) => {
        changes.push(policy.version);
      },
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
