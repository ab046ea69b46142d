import { GuardstreamError } from '../errors/index.ts';

export interface OAuthClientCredentials {
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
}

/** How long before a token's expiry a new one is got: at most a minute, at most half its life. */
const refreshMargin = (lifetimeMs: number): number => Math.min(60_000, lifetimeMs / 2);

/**
 * Bearer tokens for SASL/OAUTHBEARER by the OAuth 2 client-credentials grant (RFC 6749 §4.4),
 * the client authenticated by HTTP Basic, as the Java client's login handler does. A
 * token is reused by every connection until shortly before it expires; concurrent connections
 * wait on one request. A refusal or an unreadable answer is GS_ERR_KAFKA_AUTH, saying what the
 * endpoint answered; it is not cached, so the next connection asks again.
 */
export function oauthTokenProvider(
  credentials: OAuthClientCredentials,
  options: { timeoutMs?: number; now?: () => number } = {},
): () => Promise<string> {
  const now = options.now ?? Date.now;
  let cached: { token: string; refreshAt: number } | undefined;
  let pending: Promise<string> | undefined;
  const fetchToken = async (): Promise<string> => {
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (credentials.scope !== undefined) body.set('scope', credentials.scope);
    // Not form-encoded first (RFC 6749 §2.3.1 says to): the Java client does not by default
    // (sasl.oauthbearer.header.urlencode=false), and providers are set up for what it sends.
    const basic = Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString(
      'base64',
    );
    const refused = (why: string): GuardstreamError =>
      new GuardstreamError('GS_ERR_KAFKA_AUTH', {
        message: `no OAuth token for Kafka: ${credentials.tokenEndpoint} ${why}: check kafka.sasl.oauth`,
      });
    let response: Response;
    try {
      response = await fetch(credentials.tokenEndpoint, {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw refused(`could not be reached (${(error as Error).message})`);
    }
    const text = await response.text();
    if (!response.ok) {
      // The error fields of RFC 6749 §5.2 say why; never echo a token-shaped body.
      let reason = '';
      try {
        const parsed = JSON.parse(text) as { error?: unknown; error_description?: unknown };
        if (typeof parsed.error === 'string') reason = `: ${parsed.error}`;
        if (typeof parsed.error_description === 'string')
          reason += ` (${parsed.error_description.slice(0, 200)})`;
      } catch {
        // Not JSON: the status says enough.
      }
      throw refused(`answered HTTP ${String(response.status)}${reason}`);
    }
    let answer: { access_token?: unknown; expires_in?: unknown };
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      throw refused('answered with something other than JSON');
    }
    if (typeof answer.access_token !== 'string' || answer.access_token === '') {
      throw refused('answered without an access_token');
    }
    // Without expires_in the token is taken for five minutes, then asked for again.
    const lifetimeMs =
      typeof answer.expires_in === 'number' && answer.expires_in > 0
        ? answer.expires_in * 1000
        : 300_000;
    cached = {
      token: answer.access_token,
      refreshAt: now() + lifetimeMs - refreshMargin(lifetimeMs),
    };
    return answer.access_token;
  };
  return async () => {
    if (cached !== undefined && now() < cached.refreshAt) return cached.token;
    pending ??= fetchToken().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}
