import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { GatewayConfig } from './gateway.config.js';
import { HttpProblem } from './problem.js';

/** Whether a token was issued to a demo customer or to an anonymous guest. */
export type PrincipalKind = 'customer' | 'guest';

/** Who is calling, as proven by a verified access token. */
export interface Principal {
  /** The token's `sub`: the only source of the customer id of a request. */
  customerId: string;
  kind: PrincipalKind;
}

/** An issued access token. */
export interface IssuedToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  customerId: string;
}

type TokenSettings = Pick<GatewayConfig, 'JWT_SECRET' | 'JWT_ISSUER' | 'JWT_AUDIENCE' | 'JWT_TTL'>;

// Pinned: a token naming any other algorithm (`none`, RS256 with the secret as a public key…)
// is rejected before its signature is looked at.
const ALGORITHM = 'HS256';

// A verified token is remembered this long at most (and never past its own expiry), so a client's
// every request does not pay for an HMAC and a JSON parse again.
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX_ENTRIES = 10_000;

/** Issues and verifies the gateway's access tokens (JWT, HS256). */
export class TokenService {
  readonly #key: Uint8Array;
  /** Verified tokens (the whole compact JWT, signature included) and until when to trust them. */
  readonly #verified = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly settings: TokenSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.#key = new TextEncoder().encode(settings.JWT_SECRET);
  }

  /** Signs a token for a customer or guest. */
  async issue(customerId: string, kind: PrincipalKind): Promise<IssuedToken> {
    const expiresIn = Math.floor(this.settings.JWT_TTL / 1000);
    const accessToken = await new SignJWT({ kind })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(customerId)
      .setIssuer(this.settings.JWT_ISSUER)
      .setAudience(this.settings.JWT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${expiresIn}s`)
      .setJti(randomUUID())
      .sign(this.#key);
    return { accessToken, tokenType: 'Bearer', expiresIn, customerId };
  }

  /**
   * Verifies signature, algorithm, expiry, issuer and audience; throws a 401 problem otherwise.
   * A token verified before is trusted again without the cryptography for up to a minute, and
   * never past its `exp`. The key is the token itself: a token differing in any byte (its
   * signature included) is verified afresh; failures are never remembered.
   */
  /** The caller of a token verified before and still trusted, without any cryptography; else undefined. */
  remembered(token: string): Principal | undefined {
    const known = this.#verified.get(token);
    return known !== undefined && this.now() < known.until ? known.principal : undefined;
  }

  async verify(token: string): Promise<Principal> {
    const known = this.remembered(token);
    if (known !== undefined) return known;
    const now = this.now();
    const { principal, expiresAt } = await this.#verifyToken(token, now);
    this.#verified.set(token, { principal, until: Math.min(expiresAt, now + VERIFIED_TTL_MS) });
    if (this.#verified.size > VERIFIED_MAX_ENTRIES) {
      const oldest = this.#verified.keys().next().value;
      if (oldest !== undefined) this.#verified.delete(oldest);
    }
    return principal;
  }

  async #verifyToken(
    token: string,
    now: number,
  ): Promise<{ principal: Principal; expiresAt: number }> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        currentDate: new Date(now),
        algorithms: [ALGORITHM],
        issuer: this.settings.JWT_ISSUER,
        audience: this.settings.JWT_AUDIENCE,
        requiredClaims: ['sub', 'exp'],
      });
      const kind = payload.kind === 'customer' ? 'customer' : 'guest';
      return { principal: { customerId: payload.sub!, kind }, expiresAt: payload.exp! * 1000 };
    } catch (error) {
      const reason =
        error instanceof joseErrors.JWTExpired
          ? 'the access token has expired'
          : 'the access token is not valid';
      throw unauthenticated(reason, 'invalid_token');
    }
  }
}

function unauthenticated(detail: string, error?: string): HttpProblem {
  return new HttpProblem('unauthenticated', detail, {
    headers: { 'WWW-Authenticate': error ? `Bearer error="${error}"` : 'Bearer' },
  });
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+([\w.~+/-]+=*)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Verifies the bearer token when there is one and puts the principal in `res.locals.principal`;
 * an invalid token is remembered, not rejected, so public routes stay public. Routes that need a
 * principal call {@link requirePrincipal}.
 */
export function authenticate(tokens: TokenService): RequestHandler {
  return async (req, res, next) => {
    const token = bearerToken(req.get('authorization'));
    if (token === undefined) {
      if (req.get('authorization') !== undefined)
        res.locals.authProblem = unauthenticated(
          'the Authorization header must be "Bearer <token>"',
          'invalid_request',
        );
      next();
      return;
    }
    try {
      res.locals.principal = await tokens.verify(token);
    } catch (error) {
      res.locals.authProblem = error;
    }
    next();
  };
}

/** The verified caller of a request, or a 401 problem. */
export function requirePrincipal(locals: Record<string, unknown>): Principal {
  if (locals.principal) return locals.principal as Principal;
  if (locals.authProblem instanceof HttpProblem) throw locals.authProblem;
  throw unauthenticated('this operation needs an access token (POST /api/v1/auth/token)');
}
