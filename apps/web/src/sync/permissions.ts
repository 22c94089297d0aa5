import type { DocName } from '@concord/shared';

export type Role = 'viewer' | 'editor' | 'admin';

export interface SessionUser {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
}

/** Why `user` may not edit `doc`, or undefined when they may (docs/architecture.md §4). */
export function readOnlyReason(user: SessionUser, doc: DocName): string | undefined {
  if (user.role === 'viewer')
    return 'You are signed in as a viewer: viewers can look but not change anything.';
  if (doc.kind === 'profile' && doc.id !== user.id && user.role !== 'admin') {
    return `This is ${doc.id}'s profile: only they (or an admin) can change it.`;
  }
  return undefined;
}
