import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { Judges } from './judges.ts';
import type { TargetAnswer } from './judges.ts';
import type { Probe, ProbeFamily, ToolConversation } from './probes.ts';

export interface Target {
  url: string;
  apiKey?: string;
  model: string;
  timeoutMs?: number;
  /** Answer length cap sent as `max_tokens` (default 160). */
  maxTokens?: number;
}

export interface Attempt {
  target: string;
  probe: string;
  family: ProbeFamily;
  source: string;
  prompt: string;
  status: number;
  response: string;
  blocked: boolean;
  hit: boolean;
  reason: string;
  ms: number;
}

/**
 * One chat completion against an OpenAI-compatible endpoint; failures become status 0. With a
 * tool conversation, the answer's text is its content followed by one line per tool call
 * (`[tool call name {arguments}]`), so the judges read what the model did as well as said.
 */
export async function ask(
  target: Target,
  prompt: string,
  conversation?: ToolConversation,
): Promise<TargetAnswer> {
  try {
    const response = await fetch(`${target.url.replace(/\/+$/, '')}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(target.apiKey === undefined ? {} : { authorization: `Bearer ${target.apiKey}` }),
      },
      body: JSON.stringify({
        model: target.model,
        temperature: 0,
        max_tokens: target.maxTokens ?? 160,
        ...(conversation === undefined
          ? { messages: [{ role: 'user', content: prompt }] }
          : { messages: conversation.messages, tools: conversation.tools }),
      }),
      signal: AbortSignal.timeout(target.timeoutMs ?? 120_000),
    });
    const body = (await response.json().catch(() => ({}))) as {
      choices?: {
        message?: {
          content?: string | null;
          tool_calls?: { function?: { name?: string; arguments?: string } }[] | null;
        };
        finish_reason?: string;
      }[];
      error?: { code?: string; message?: string };
    };
    if (!response.ok) {
      const code = body.error?.code ?? '';
      return {
        status: response.status,
        text: body.error?.message ?? '',
        blocked: response.status === 400 && code === 'GS_ERR_GUARD_BLOCKED',
      };
    }
    const choice = body.choices?.[0];
    const calls = (choice?.message?.tool_calls ?? []).map(
      (call) => `[tool call ${call.function?.name ?? ''} ${call.function?.arguments ?? ''}]`,
    );
    return {
      status: response.status,
      text: [choice?.message?.content ?? '', ...calls].filter((part) => part !== '').join('\n'),
      blocked: choice?.finish_reason === 'content_filter',
    };
  } catch (error) {
    return {
      status: 0,
      text: error instanceof Error ? error.message : String(error),
      blocked: false,
    };
  }
}

export interface RunOptions {
  concurrency: number;
  /** JSONL file: attempts are appended as they finish; ones already there are not re-run. */
  attemptsFile?: string;
  onProgress?: (done: number, total: number) => void;
}

/** Runs every probe against the target with a concurrency limit, resuming from the JSONL file. */
export async function runProbes(
  target: Target,
  probes: readonly Probe[],
  options: RunOptions,
): Promise<Attempt[]> {
  const judges = new Judges();
  const attempts: Attempt[] = [];
  const done = new Set<string>();
  const byId = new Map(probes.map((probe) => [probe.id, probe]));
  if (options.attemptsFile !== undefined && existsSync(options.attemptsFile)) {
    for (const line of readFileSync(options.attemptsFile, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const attempt = JSON.parse(line) as Attempt;
        const probe = byId.get(attempt.probe);
        // A recorded attempt for a probe that now reads differently (another seed, data or
        // version) is not this probe's attempt: it runs again.
        if (
          attempt.target === target.url &&
          !done.has(attempt.probe) &&
          probe?.prompt === attempt.prompt
        ) {
          // Judged again: verdicts follow the current judges, the answer is what was recorded.
          const verdict = judges.judge(probe.family, probe.judge, {
            status: attempt.status,
            text: attempt.response,
            blocked: attempt.blocked,
          });
          attempts.push({ ...attempt, hit: verdict.hit, reason: verdict.reason });
          done.add(attempt.probe);
        }
      } catch {
        // A line cut short by an interrupted run: that probe simply runs again.
      }
    }
  }
  const queue = probes.filter((probe) => !done.has(probe.id));
  let finished = attempts.length;
  options.onProgress?.(finished, probes.length);
  const worker = async (): Promise<void> => {
    for (let probe = queue.shift(); probe !== undefined; probe = queue.shift()) {
      const started = performance.now();
      const answer = await ask(target, probe.prompt, probe.conversation);
      const verdict = judges.judge(probe.family, probe.judge, answer);
      const attempt: Attempt = {
        target: target.url,
        probe: probe.id,
        family: probe.family,
        source: probe.source,
        prompt: probe.prompt,
        status: answer.status,
        response: answer.text,
        blocked: answer.blocked,
        hit: verdict.hit,
        reason: verdict.reason,
        ms: Math.round(performance.now() - started),
      };
      attempts.push(attempt);
      if (options.attemptsFile !== undefined) {
        appendFileSync(options.attemptsFile, `${JSON.stringify(attempt)}\n`);
      }
      finished += 1;
      options.onProgress?.(finished, probes.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  const order = new Map(probes.map((probe, index) => [probe.id, index]));
  return attempts
    .filter((attempt) => order.has(attempt.probe))
    .sort((a, b) => (order.get(a.probe) ?? 0) - (order.get(b.probe) ?? 0));
}
