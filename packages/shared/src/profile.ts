/** The profile document kind: one user's profile (docs/architecture.md §4). */
import { z } from 'zod';
import type { DocumentKind } from './documentKind.js';

export const PROFILE_LIMITS = {
  displayNameMax: 100,
  bioMax: 5_000,
  emailMax: 254,
  avatarUrlMax: 2_048,
} as const;
export const LOCALE_PATTERN = /^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|\d{3}))?$/;

const displayName = z
  .string()
  .trim()
  .min(1, 'display name is required')
  .max(PROFILE_LIMITS.displayNameMax);
const email = z.union([
  z.literal(''),
  z.email('email must be an address like name@example.com').max(PROFILE_LIMITS.emailMax),
]);
const avatarUrl = z.union([
  z.literal(''),
  z
    .string()
    .max(PROFILE_LIMITS.avatarUrlMax)
    .refine(isHttpUrl, 'avatar URL must be an http(s) URL'),
]);
const locale = z
  .string()
  .regex(LOCALE_PATTERN, 'locale must be a language tag such as en, de-CH or pt-BR');
const bio = z.string().max(PROFILE_LIMITS.bioMax);

function isHttpUrl(text: string): boolean {
  return /^https?:\/\/[^\s/?#]+[^\s]*$/i.test(text);
}

export const profileSchema = z
  .object({
    kind: z.literal('profile'),
    id: z.string(),
    schemaVersion: z.number().int(),
    displayName,
    email,
    avatarUrl,
    locale,
    bio,
  })
  .strict();

export type Profile = z.infer<typeof profileSchema>;

export interface ProfilePatch {
  displayName?: string;
  email?: string;
  avatarUrl?: string;
  locale?: string;
  bio?: string;
}

export const profileKind: DocumentKind<Profile> = {
  kind: 'profile',
  schemaVersion: 1,
  fields: {
    displayName: { kind: 'register', default: 'Unnamed', value: displayName },
    email: { kind: 'register', default: '', value: email },
    avatarUrl: { kind: 'register', default: '', value: avatarUrl },
    locale: { kind: 'register', default: 'en', value: locale },
    bio: { kind: 'text', value: bio },
  },
  schema: profileSchema,
  migrations: {},
};
