/** Turning a past version into a forward patch (restore), per field kind. */
import {
  type DocumentKind,
  type Patch,
  type PatchValue,
  type RegisterValue,
} from '@concord/shared';

export function patchToReach(
  kind: DocumentKind<object>,
  current: Record<string, unknown>,
  target: Record<string, unknown>,
): Patch {
  const patch: Record<string, PatchValue> = {};
  for (const [field, spec] of Object.entries(kind.fields)) {
    const from = current[field];
    const to = target[field];
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    switch (spec.kind) {
      case 'register':
        patch[field] = to as RegisterValue;
        break;
      case 'text':
        patch[field] = String(to ?? '');
        break;
      case 'set': {
        const have = new Set(from as string[]);
        const want = new Set(to as string[]);
        patch[field] = {
          add: [...want].filter((t) => !have.has(t)),
          remove: [...have].filter((t) => !want.has(t)),
        };
        break;
      }
      case 'counter':
        patch[field] = { delta: Number(to ?? 0) - Number(from ?? 0) };
        break;
    }
  }
  return patch;
}
