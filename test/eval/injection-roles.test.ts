import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { benignRolePrompts, benignTaskDefinitions } from '../../eval/injection-roles.ts';

describe('benign role and system prompts (eval/injection-roles.ts)', () => {
  const prompts = benignRolePrompts(7, 300);

  it('makes distinct benign prompts, the same ones for the same seed', () => {
    assert.ok(prompts.length >= 300);
    assert.equal(new Set(prompts.map((example) => example.text)).size, prompts.length);
    assert.ok(
      prompts.every((example) => example.label === 0 && example.source === 'synthetic-role'),
    );
    assert.deepEqual(benignRolePrompts(7, 300), prompts);
    assert.notDeepEqual(benignRolePrompts(8, 300), prompts);
  });

  it('fills every slot and draws a prompt’s rules separately', () => {
    for (const { text } of prompts) assert.doesNotMatch(text, /\{\w+\}/, text);
    const sentences = (text: string): string[] => text.split(/(?<=\.) /);
    const repeated = prompts.filter(({ text }) => {
      const all = sentences(text);
      return new Set(all).size < all.length;
    });
    // Two rule slots draw the same rule by chance now and then, not as a rule.
    assert.ok(repeated.length < prompts.length * 0.1, `${repeated.length} repeat a sentence`);
  });
});

describe('benign task definitions (eval/injection-roles.ts)', () => {
  it('makes distinct benign task definitions with every slot filled', () => {
    const tasks = benignTaskDefinitions(7, 200);
    assert.equal(tasks.length, 200);
    assert.equal(new Set(tasks.map((example) => example.text)).size, tasks.length);
    for (const { text, label, source } of tasks) {
      assert.doesNotMatch(text, /\{\w+\}| {2}/, text);
      assert.equal(label, 0);
      assert.equal(source, 'synthetic-task');
    }
  });
});
