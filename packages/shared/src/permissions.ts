/**
 * Who may read or write which document (SPEC AUTH1), for the server (which enforces it) and the
 * app (which says so before anyone types): everyone signed in reads; products and order drafts
 * are written by editors and admins; `profile:<uid>` by that user (unless a viewer) or an admin.
 */
import type { DocName } from './docName.js';

export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who acts, as far as permissions care. */
export interface Principal {
  readonly id: string;
  readonly role: Role;
}

/** A signed-in person: a principal with a display name. */
export interface SessionUser extends Principal {
  readonly name: string;
}

/**
 * Ids of accounts: `u-…` (password accounts) and `o-…` (single sign-on). Their profile's name and
 * email come from the account (the server writes them there); demo and service ids have none.
 */
export function isAccountId(id: string): boolean {
  return /^[uo]-[\w-]+$/.test(id);
}

export function canRead(_user: Principal, _doc: DocName): boolean {
  return true;
}

export function canWrite(user: Principal, doc: DocName): boolean {
  if (user.role === 'admin') return true;
  if (user.role === 'viewer') return false;
  return doc.kind === 'product' || doc.kind === 'order' || doc.id === user.id;
}

/** Why `user` may not write `doc` (the server's refusal; call it when `canWrite` said no). */
export function writeRefusal(user: Principal, doc: DocName): string {
  if (user.role === 'viewer') return 'viewers can read but not change documents';
  return doc.kind === 'profile'
    ? `only ${doc.id} or an admin may change this profile`
    : 'not allowed to change this document';
}

/** Why `user` may not edit `doc`, said to that person, or undefined when they may. */
export function readOnlyReason(user: Principal, doc: DocName): string | undefined {
  if (canWrite(user, doc)) return undefined;
  if (user.role === 'viewer')
    return 'You are signed in as a viewer: viewers can look but not change anything.';
  return `This is ${doc.id}'s profile: only they (or an admin) can change it.`;
}
