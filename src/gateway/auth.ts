import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { GuardstreamError } from '../errors/index.ts';
import type { ApiKeyConfig, JwtConfig } from './config.ts';

/** Who is calling, and what they may use. */
export interface CallerPrincipal {
  /** Stable id for rate limiting and audit: `key:<id>` or `jwt:<iss>:<sub>`. */
  id: string;
  tenant: string;
  user?: string;
  groups: readonly string[];
  models: readonly string[];
  collections: readonly string[];
  /** Functions the caller may declare in `tools`. */
  tools: readonly string[];
  requestsPerMinute: number;
  via: 'api-key' | 'jwt';
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** `*` or an exact name. */
export function allows(list: readonly string[], value: string): boolean {
  return list.includes('*') || list.includes(value);
}

function stringClaim(payload: JWTPayload, claim: string): string | undefined {
  const value = payload[claim];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function listClaim(payload: JWTPayload, claim: string): string[] {
  const value = payload[claim];
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

/**
 * API keys (compared by sha256, the key itself never stored) and JWT bearer tokens verified
 * against a JWKS. Anything else, or anything that fails, is a 401 that does not say why the
 * credential was wrong beyond what the caller can fix.
 */
export class Authenticator {
  private readonly keysByHash: Map<string, ApiKeyConfig>;
  private readonly jwks: JWTVerifyGetKey | undefined;

  constructor(
    apiKeys: readonly ApiKeyConfig[],
    private readonly jwt: JwtConfig | undefined,
  ) {
    this.keysByHash = new Map(apiKeys.map((key) => [key.sha256, key]));
    if (jwt === undefined) {
      this.jwks = undefined;
    } else if (jwt.jwksFile !== undefined) {
      this.jwks = createLocalJWKSet(
        JSON.parse(readFileSync(jwt.jwksFile, 'utf8')) as Parameters<typeof createLocalJWKSet>[0],
      );
    } else if (jwt.jwksUrl !== undefined) {
      this.jwks = createRemoteJWKSet(new URL(jwt.jwksUrl));
    } else {
      throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
        message: 'gateway.jwt needs jwksUrl or jwksFile',
      });
    }
  }

  get configured(): boolean {
    return this.keysByHash.size > 0 || this.jwks !== undefined;
  }

  /** The caller behind an Authorization or x-api-key header, or a 401. */
  async authenticate(headers: {
    authorization?: string | undefined;
    'x-api-key'?: string | string[] | undefined;
  }): Promise<CallerPrincipal> {
    const header = headers.authorization;
    const apiKeyHeader = headers['x-api-key'];
    let credential: string | undefined;
    if (typeof header === 'string' && /^bearer\s+/i.test(header)) {
      credential = header.replace(/^bearer\s+/i, '').trim();
    } else if (typeof apiKeyHeader === 'string') {
      credential = apiKeyHeader.trim();
    }
    if (credential === undefined || credential === '') {
      throw new GuardstreamError('GS_ERR_UNAUTHENTICATED');
    }
    const key = this.matchApiKey(credential);
    if (key !== undefined) {
      return {
        id: `key:${key.id}`,
        tenant: key.tenant,
        ...(key.user === undefined ? {} : { user: key.user }),
        groups: key.groups,
        models: key.models,
        collections: key.collections,
        tools: key.tools,
        requestsPerMinute: key.requestsPerMinute,
        via: 'api-key',
      };
    }
    if (this.jwks !== undefined && this.jwt !== undefined && credential.split('.').length === 3) {
      return this.verifyJwt(credential, this.jwt, this.jwks);
    }
    throw new GuardstreamError('GS_ERR_UNAUTHENTICATED', { message: 'Invalid API key or token' });
  }

  private matchApiKey(credential: string): ApiKeyConfig | undefined {
    const digest = sha256Hex(credential);
    const key = this.keysByHash.get(digest);
    // The map lookup already compared hashes; this keeps the final check constant-time.
    if (key === undefined) return undefined;
    return timingSafeEqual(Buffer.from(key.sha256, 'hex'), Buffer.from(digest, 'hex'))
      ? key
      : undefined;
  }

  private async verifyJwt(
    token: string,
    config: JwtConfig,
    jwks: JWTVerifyGetKey,
  ): Promise<CallerPrincipal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: ['RS256', 'ES256', 'EdDSA', 'PS256'],
      }));
    } catch (cause) {
      throw new GuardstreamError('GS_ERR_UNAUTHENTICATED', {
        message: 'Invalid or expired bearer token',
        cause,
      });
    }
    const tenant = stringClaim(payload, config.tenantClaim);
    if (tenant === undefined) {
      throw new GuardstreamError('GS_ERR_FORBIDDEN', {
        message: `The token has no ${config.tenantClaim} claim`,
      });
    }
    const user = stringClaim(payload, config.userClaim);
    return {
      id: `jwt:${payload.iss ?? ''}:${user ?? ''}`,
      tenant,
      ...(user === undefined ? {} : { user }),
      groups: listClaim(payload, config.groupsClaim),
      models: config.models,
      collections: config.collections,
      tools: config.tools,
      requestsPerMinute: config.requestsPerMinute,
      via: 'jwt',
    };
  }
}

/** A token bucket per principal: `requestsPerMinute` refilled continuously, same burst. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes one token or throws a 429 whose details carry the seconds until the next one. */
  take(principal: CallerPrincipal): void {
    const perMs = principal.requestsPerMinute / 60_000;
    const now = this.now();
    const bucket = this.buckets.get(principal.id) ?? {
      tokens: principal.requestsPerMinute,
      at: now,
    };
    bucket.tokens = Math.min(
      principal.requestsPerMinute,
      bucket.tokens + (now - bucket.at) * perMs,
    );
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(principal.id, bucket);
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
      throw new GuardstreamError('GS_ERR_RATE_LIMITED', { details: { retryAfterSeconds } });
    }
    bucket.tokens -= 1;
    this.buckets.set(principal.id, bucket);
    if (this.buckets.size > 100_000) this.buckets.clear();
  }
}
