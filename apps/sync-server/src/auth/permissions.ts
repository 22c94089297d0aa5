/**
 * Who may read or write which document (SPEC AUTH1): everyone signed in reads; products are
 * written by editors and admins; `profile:<uid>` by that user (unless a viewer) or an admin.
 */
import type { DocName } from '@concord/shared';
import type { Principal } from './tokens.js';

export function canRead(_user: Principal, _doc: DocName): boolean {
  return true;
}

export function canWrite(user: Principal, doc: DocName): boolean {
  if (user.role === 'admin') return true;
  if (user.role === 'viewer') return false;
  return doc.kind === 'product' || doc.id === user.id;
}

export function writeRefusal(user: Principal, doc: DocName): string {
  if (user.role === 'viewer') return 'viewers can read but not change documents';
  return doc.kind === 'profile'
    ? `only ${doc.id} or an admin may change this profile`
    : 'not allowed to change this document';
}
