import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { DetectorRegistry, defineDetector } from '../../src/detectors/index.ts';
import type { Finding } from '../../src/detectors/index.ts';
import { DetectorBindings, GuardEngine, guardPolicySchema } from '../../src/guard/index.ts';
import type { GuardPolicy } from '../../src/guard/index.ts';

/** What a model-backed detector's binding starts (a thread and a model), counted. */
class ResourceLedger {
  opened = 0;
  closed = 0;
  /** What each resource's `ready()` returns: the model's load, settled by the test. */
  load: Promise<void> = Promise.resolve();
  get open(): number {
    return this.opened - this.closed;
  }
}

/**
 * Test double for a model-backed detector: binding it "loads a model" (a resource with a
 * `close` and a `ready`, as the encoder's config holds its thread), and it finds `word` while
 * loaded.
 */
function modelBacked(ledger: ResourceLedger) {
  return defineDetector({
    meta: {
      name: 'model_backed',
      description: 'test double: a detector whose binding holds a closable resource',
      stages: ['ingest', 'input', 'retrieval', 'output'],
      cost: 'expensive',
      kinds: ['hit'],
    },
    configSchema: z.strictObject({ word: z.string().default('quince') }).transform((config) => {
      ledger.opened += 1;
      let loaded = true;
      const load = ledger.load;
      return {
        word: config.word,
        model: {
          get loaded(): boolean {
            return loaded;
          },
          close(): void {
            loaded = false;
            ledger.closed += 1;
          },
          ready: (): Promise<void> => load,
        },
      };
    }),
    detect(text, config): Finding[] {
      if (!config.model.loaded) throw new Error('the model thread was closed');
      return text.includes(config.word)
        ? [{ detector: 'model_backed', kind: 'hit', score: 1, evidence: config.word }]
        : [];
    },
  });
}

const cheap = defineDetector({
  meta: {
    name: 'cheap',
    description: 'test double: no resources',
    stages: ['input'],
    cost: 'cheap',
    kinds: [],
  },
  configSchema: z.strictObject({
    limit: z.number().int().min(1).default(1),
    label: z.string().default(''),
  }),
  detect: () => [],
});

function policy(
  rules: Partial<Record<'ingest' | 'input' | 'retrieval' | 'output', unknown[]>>,
): GuardPolicy {
  return guardPolicySchema.parse({
    stages: {
      ingest: { detectors: rules.ingest ?? [] },
      input: { detectors: rules.input ?? [] },
      retrieval: { detectors: rules.retrieval ?? [] },
      output: { detectors: rules.output ?? [] },
    },
  });
}

function setUp(): { ledger: ResourceLedger; registry: DetectorRegistry } {
  const ledger = new ResourceLedger();
  return {
    ledger,
    registry: new DetectorRegistry().register(modelBacked(ledger)).register(cheap),
  };
}

describe('guard: detector bindings shared between stages, engines and policies', () => {
  it('binds a detector named at several stages with one configuration once', () => {
    const { ledger, registry } = setUp();
    const rule = { detector: 'model_backed', action: 'block', config: { word: 'quince' } };
    const engine = new GuardEngine(
      policy({ input: [rule], retrieval: [{ ...rule, action: 'flag' }], ingest: [rule] }),
      registry,
    );
    assert.equal(ledger.opened, 1);
    assert.equal(engine.check('a quince', { stage: 'input' }).effective, 'block');
    assert.equal(engine.check('a quince', { stage: 'retrieval' }).effective, 'flag');
    engine.close();
    assert.equal(ledger.open, 0);
  });

  it('binds different configurations apart, whatever the order of their keys', () => {
    const { ledger, registry } = setUp();
    const bindings = new DetectorBindings();
    const first = new GuardEngine(
      policy({
        input: [{ detector: 'model_backed', config: { word: 'quince' } }],
        retrieval: [{ detector: 'model_backed', config: { word: 'medlar' } }],
      }),
      registry,
      bindings,
    );
    assert.equal(ledger.opened, 2);
    assert.equal(bindings.liveCount, 2);
    const reordered = new GuardEngine(
      policy({ input: [{ detector: 'cheap', config: { limit: 2, label: 'a' } }] }),
      registry,
      bindings,
    );
    const same = new GuardEngine(
      policy({ input: [{ detector: 'cheap', config: { label: 'a', limit: 2 } }] }),
      registry,
      bindings,
    );
    assert.equal(bindings.bindCount, 3);
    first.close();
    reordered.close();
    same.close();
    assert.equal(bindings.liveCount, 0);
    assert.equal(ledger.open, 0);
  });

  it('keeps a binding loaded while any engine holds it, and closes it with the last', () => {
    const { ledger, registry } = setUp();
    const bindings = new DetectorBindings();
    const rule = { detector: 'model_backed', action: 'block', config: { word: 'quince' } };
    const old = new GuardEngine(policy({ input: [rule] }), registry, bindings);
    // A new policy that changes a threshold elsewhere keeps the detector's configuration.
    const next = new GuardEngine(
      policy({ input: [rule, { detector: 'cheap', config: { limit: 3 } }] }),
      registry,
      bindings,
    );
    assert.equal(ledger.opened, 1, 'the unchanged detector is not bound again');
    old.close();
    old.close();
    assert.equal(ledger.open, 1, 'closing the replaced engine, even twice, keeps it for the next');
    assert.equal(next.check('a quince', { stage: 'input' }).effective, 'block');
    next.close();
    assert.equal(ledger.open, 0);
    // Once closed, the next engine binds afresh.
    const later = new GuardEngine(policy({ input: [rule] }), registry, bindings);
    assert.equal(ledger.opened, 2);
    later.close();
  });

  it('gives back what a policy bound before a rule of it was refused', () => {
    const { ledger, registry } = setUp();
    const bindings = new DetectorBindings();
    assert.throws(
      () =>
        new GuardEngine(
          policy({
            input: [{ detector: 'model_backed', config: { word: 'quince' } }],
            retrieval: [{ detector: 'cheap', config: { limit: 0 } }],
          }),
          registry,
          bindings,
        ),
      /guard\.stages\.retrieval\.detectors\.0\.config/,
    );
    assert.equal(ledger.opened, 1);
    assert.equal(ledger.open, 0, 'the model the refused policy loaded is closed');
    assert.equal(bindings.liveCount, 0);
  });

  it('is ready once every model it started has loaded, and says which did not', async () => {
    const { ledger, registry } = setUp();
    const bindings = new DetectorBindings();
    let finishLoad: () => void = () => undefined;
    ledger.load = new Promise((resolve) => {
      finishLoad = resolve;
    });
    const engine = new GuardEngine(
      policy({ input: [{ detector: 'model_backed', config: { word: 'quince' } }] }),
      registry,
      bindings,
    );
    let ready = false;
    const readying = engine.ready().then(() => {
      ready = true;
    });
    // The caller's thread goes on while the model loads.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ready, false);
    finishLoad();
    await readying;
    assert.equal(ready, true);
    // An engine sharing the loaded binding is ready at once.
    const sharing = new GuardEngine(
      policy({ retrieval: [{ detector: 'model_backed', config: { word: 'quince' } }] }),
      registry,
      bindings,
    );
    await sharing.ready();
    engine.close();
    sharing.close();

    ledger.load = Promise.reject(new Error('the model failed its sha256 check'));
    const broken = new GuardEngine(
      policy({ input: [{ detector: 'model_backed', config: { word: 'medlar' } }] }),
      registry,
      bindings,
    );
    await assert.rejects(broken.ready(), /failed its sha256 check/);
    broken.close();
    assert.equal(ledger.open, 0);
  });
});
