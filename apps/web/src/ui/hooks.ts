import { useEffect, useState, useSyncExternalStore } from 'react';
import { useStore } from 'zustand';
import type { StoreApi } from 'zustand/vanilla';
import type * as Y from 'yjs';
import type { DocSession } from '../sync/docSession';

export function useVanilla<T, U>(store: StoreApi<T>, select: (s: T) => U): U {
  return useStore(store, select);
}

/** Re-renders on every change of the Y.Doc; returns a counter that changes with it. */
export function useDocVersion(doc: Y.Doc): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const onUpdate = () => setVersion((v) => v + 1);
    doc.on('update', onUpdate);
    return () => doc.off('update', onUpdate);
  }, [doc]);
  return version;
}

function useHash(): string {
  return useSyncExternalStore(
    (cb) => {
      window.addEventListener('hashchange', cb);
      return () => window.removeEventListener('hashchange', cb);
    },
    () => window.location.hash,
  );
}

/** The current location hash as a route: ['product', id] etc. */
export function useRoute(): string[] {
  const hash = useHash();
  const path = hash.replace(/^#\/?/, '').split('?')[0] ?? '';
  return path.split('/').filter(Boolean).map(decodeURIComponent);
}

/** A parameter of the location hash's query, kept current: `#/setup?code=…` → 'code'. */
export function useHashParam(name: string): string {
  const query = useHash().split('?')[1] ?? '';
  return new URLSearchParams(query).get(name) ?? '';
}

export function navigate(path: string): void {
  window.location.hash = path;
}

/** Why the person cannot edit this document now (permissions, or a newer app version needed). */
export function useReadOnly(session: DocSession): string | undefined {
  const upgrade = useVanilla(session.store, (s) => s.upgradeRequired);
  return session.readOnlyReason ?? upgrade;
}
