/**
 * Presence states as other clients send them, checked before anything renders them: a state that
 * is not well formed is dropped, a colour that is not `#rrggbb` is replaced by one derived from the
 * user id, names are cut to a readable length. Pure, so it is tested without a browser.
 */
export interface PresenceState {
  readonly user: { id: string; name: string; color: string };
  readonly field: string | null;
}

const COLORS = ['#c2410c', '#15803d', '#1d4ed8', '#7e22ce', '#be123c', '#0f766e', '#a16207'];
const HEX = /^#[0-9a-fA-F]{6}$/;

export function colorFor(id: string): string {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return COLORS[h % COLORS.length] ?? '#1d4ed8';
}

/** A presence state to render, or undefined when `state` is not one. */
export function presenceOf(state: unknown): PresenceState | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const { user, field } = state as { user?: unknown; field?: unknown };
  if (typeof user !== 'object' || user === null) return undefined;
  const { id, name, color } = user as { id?: unknown; name?: unknown; color?: unknown };
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) return undefined;
  const shownName =
    typeof name === 'string' && name.trim() !== '' ? [...name.trim()].slice(0, 60).join('') : id;
  return {
    user: {
      id,
      name: shownName,
      color: typeof color === 'string' && HEX.test(color) ? color : colorFor(id),
    },
    field: typeof field === 'string' && field.length <= 64 ? field : null,
  };
}
