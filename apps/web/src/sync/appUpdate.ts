/**
 * The offline shell's updates: the service worker (vite-plugin-pwa, Workbox) precaches the build;
 * a new build waits until the person chooses to reload, so one page never mixes two versions.
 */
import { createStore } from 'zustand/vanilla';

export interface AppUpdateState {
  /** Set when a new version is installed and waiting: activates it and reloads. */
  readonly reload: (() => void) | undefined;
  /** The shell is cached: the app opens offline. */
  readonly offlineReady: boolean;
}

export const appUpdate = createStore<AppUpdateState>(() => ({
  reload: undefined,
  offlineReady: false,
}));
