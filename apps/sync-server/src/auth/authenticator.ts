/**
 * Who a request or connection is (SPEC AUTH6, ACC5, ACC8): a token is verified as one of the
 * server's own (HS256, AUTH_SECRET) or, when single sign-on is configured, as the provider's; then
 * the account directory says whether that person may still come in and with which role.
 */
import { decodeProtectedHeader } from 'jose';
import type { AccountDirectory } from '../accounts/directory.js';
import type { OidcVerifier } from '../accounts/oidc.js';
import type { Tokens, VerifyResult } from './tokens.js';

export class Authenticator {
  constructor(
    readonly tokens: Tokens,
    readonly directory: AccountDirectory,
    private readonly oidc: OidcVerifier | undefined,
  ) {}

  async verify(token: string | null | undefined): Promise<VerifyResult> {
    if (token && this.oidc && token.length <= 8_192 && !isOwn(token))
      return this.oidc.verify(token);
    const own = await this.tokens.verify(token);
    return own.ok ? this.directory.admit(own.user) : own;
  }
}

/**
 * Refuses a verified person other than the one the client expects (`as` parameter, or
 * `x-concord-user` header): the browser's cookies now belong to someone else, who signed in in
 * another tab; this tab's edits must not be taken as theirs.
 */
export function expectedUser(
  result: VerifyResult,
  expected: string | null | undefined,
): VerifyResult {
  if (!result.ok || !expected || expected === result.user.id) return result;
  return { ok: false, error: 'this browser is now signed in as someone else: sign in again' };
}

function isOwn(token: string): boolean {
  try {
    return decodeProtectedHeader(token).alg === 'HS256';
  } catch {
    return true; // malformed: our verifier says why
  }
}
