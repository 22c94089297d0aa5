/** Server configuration from the environment (see README). */
import type { Role } from '@concord/shared';
import { parseRoleMap, type OidcConfig } from './accounts/oidc.js';

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly authSecret: string | undefined;
  readonly demoAuth: boolean;
  readonly logLevel: string;
  readonly idleUnloadMs: number;
  /** Hand memory freed by unloaded documents back to the OS (glibc only; memoryTrim.ts). */
  readonly trimAfterUnload: boolean;
  readonly maxFrameBytes: number;
  readonly maxDocBytes: number;
  readonly maxMessagesPerSecond: number;
  readonly maxSkewMs: number;
  readonly snapshotEvery: number;
  readonly broadcastWindowMs: number;
  readonly commitWindowMs: number;
  /** A load answering fresh clients from its snapshot waits at most this for their sync step 1. */
  readonly storedAskWaitMs: number;
  readonly maxBufferedBytes: number;
  readonly webDist: string | undefined;
  readonly rateLimitPerMinute: number;
  readonly rateLimitPerAddressPerMinute: number;
  readonly maxConnectionsPerUser: number;
  readonly tokenTtlSeconds: number;
  /** Access tokens of signed-in sessions (minutes), and the sessions themselves (days, sliding). */
  readonly accessTokenTtlSeconds: number;
  readonly sessionTtlSeconds: number;
  readonly signInAttemptsPerMinute: number;
  /** A fixed first-run setup code (automation); else a random one is printed at start. */
  readonly setupCode: string | undefined;
  /** Proxies trusted for X-Forwarded-*: how many hops, or their addresses (false: none). */
  readonly trustProxy: number | string | false;
  readonly production: boolean;
  readonly oidc: OidcConfig | undefined;
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
  /** Orders: how long a placement holds its reservation unpaid, and the payment step's bounds. */
  readonly reservationTtlMs: number;
  readonly paymentTimeoutMs: number;
  readonly orderSweepMs: number;
  readonly orderStuckAfterMs: number;
  /** The simulated payment provider: latency and share of random declines (0–1). */
  readonly paymentLatencyMs: number;
  readonly paymentDeclineRate: number;
  /**
   * Where payments are taken: `embedded` (a payment consumer in this server) or `external` (none
   * here: a payment process of its own serves the deployment, `node dist/src/paymentMain.js`).
   */
  readonly paymentConsumer: 'embedded' | 'external';
}

function int(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`invalid number in environment: ${value}`);
  return n;
}

function rate(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new Error(`PAYMENT_DECLINE_RATE must be from 0 to 1: ${value}`);
  return n;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  return {
    port: int(env.PORT, 8080),
    host: env.HOST ?? '0.0.0.0',
    dataDir: env.DATA_DIR ?? './data',
    authSecret: env.AUTH_SECRET || undefined,
    demoAuth: env.DEMO_AUTH === 'on',
    logLevel: env.LOG_LEVEL ?? 'info',
    idleUnloadMs: int(env.IDLE_UNLOAD_MS, 30_000),
    trimAfterUnload: env.TRIM_AFTER_UNLOAD !== 'off',
    maxFrameBytes: int(env.MAX_FRAME_BYTES, 2 * 1024 * 1024),
    maxDocBytes: int(env.MAX_DOC_BYTES, 16 * 1024 * 1024),
    maxMessagesPerSecond: int(env.MAX_MESSAGES_PER_SECOND, 20_000),
    maxSkewMs: int(env.MAX_SKEW_MS, 5 * 60_000),
    snapshotEvery: int(env.SNAPSHOT_EVERY, 1_000),
    broadcastWindowMs: int(env.BROADCAST_WINDOW_MS, 50),
    commitWindowMs: int(env.COMMIT_WINDOW_MS, 20),
    storedAskWaitMs: int(env.STORED_ASK_WAIT_MS, 100),
    maxBufferedBytes: int(env.MAX_BUFFERED_BYTES, 16 * 1024 * 1024),
    webDist: env.WEB_DIST || undefined,
    rateLimitPerMinute: int(env.RATE_LIMIT_PER_MINUTE, 1_200),
    rateLimitPerAddressPerMinute: int(env.RATE_LIMIT_PER_ADDRESS_PER_MINUTE, 6_000),
    maxConnectionsPerUser: int(env.MAX_CONNECTIONS_PER_USER, 200),
    tokenTtlSeconds: int(env.TOKEN_TTL_SECONDS, 7 * 86_400),
    accessTokenTtlSeconds: int(env.ACCESS_TOKEN_TTL_SECONDS, 600),
    sessionTtlSeconds: int(env.SESSION_TTL_DAYS, 30) * 86_400,
    signInAttemptsPerMinute: int(env.SIGNIN_ATTEMPTS_PER_MINUTE, 30),
    setupCode: env.SETUP_CODE || undefined,
    trustProxy: trustProxyOf(env.TRUST_PROXY),
    production: env.NODE_ENV === 'production',
    oidc: oidcFromEnv(env),
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    reservationTtlMs: int(env.RESERVATION_TTL_SECONDS, 15 * 60) * 1_000,
    paymentTimeoutMs: int(env.PAYMENT_TIMEOUT_MS, 30_000),
    orderSweepMs: int(env.ORDER_SWEEP_MS, 5_000),
    orderStuckAfterMs: int(env.ORDER_STUCK_AFTER_MS, 10 * 60_000),
    paymentLatencyMs: int(env.PAYMENT_LATENCY_MS, 300),
    paymentDeclineRate: rate(env.PAYMENT_DECLINE_RATE),
    paymentConsumer: paymentConsumerOf(env.PAYMENT_CONSUMER),
  };
}

function paymentConsumerOf(value: string | undefined): 'embedded' | 'external' {
  if (!value || value === 'embedded') return 'embedded';
  if (value === 'external') return 'external';
  throw new Error(`PAYMENT_CONSUMER must be embedded or external: ${value}`);
}

/** `TRUST_PROXY`: a number of proxy hops, or a comma-separated list of proxy addresses/CIDRs. */
function trustProxyOf(value: string | undefined): number | string | false {
  if (!value || value === '0' || value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  if (value === 'true')
    throw new Error(
      'TRUST_PROXY: give the number of proxy hops (e.g. 1) or their addresses, not true',
    );
  return value;
}

function oidcFromEnv(env: NodeJS.ProcessEnv): OidcConfig | undefined {
  if (!env.OIDC_ISSUER) return undefined;
  if (!env.OIDC_AUDIENCE) throw new Error('OIDC_ISSUER needs OIDC_AUDIENCE');
  const fallback = env.OIDC_DEFAULT_ROLE || 'viewer';
  if (!['none', 'viewer', 'editor', 'admin'].includes(fallback))
    throw new Error('OIDC_DEFAULT_ROLE must be none, viewer, editor or admin');
  return {
    issuer: env.OIDC_ISSUER,
    audience: env.OIDC_AUDIENCE,
    ...(env.OIDC_JWKS_URL ? { jwksUrl: env.OIDC_JWKS_URL } : {}),
    roleClaim: env.OIDC_ROLE_CLAIM || 'roles',
    roleMap: parseRoleMap(env.OIDC_ROLE_MAP),
    defaultRole: fallback === 'none' ? undefined : (fallback as Role),
  };
}

export function testConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return {
    ...configFromEnv({}),
    port: 0,
    host: '127.0.0.1',
    authSecret: 'test-secret-of-sufficient-length',
    logLevel: 'silent',
    ...overrides,
  };
}
