/**
 * Is the server reachable? Combines the browser's online/offline events with a heartbeat to the
 * server, so "offline" is noticed within seconds, also when the network is up but the server is
 * not. Injectable (like TanStack Query's onlineManager): tests and other environments call
 * `setOnline` or pass their own event source and probe.
 */
export interface OnlineManager {
  isOnline(): boolean;
  subscribe(listener: (online: boolean) => void): () => void;
  /** Overrides the detected state (tests, manual "work offline"). `undefined` = back to detection. */
  setOnline(online: boolean | undefined): void;
  /** Probe now (e.g. after a WebSocket closed unexpectedly). */
  check(): void;
  destroy(): void;
}

export interface OnlineManagerOptions {
  /** Event source with `online`/`offline` events; default `window`. */
  readonly events?: Pick<Window, 'addEventListener' | 'removeEventListener'>;
  readonly navigatorOnline?: () => boolean;
  /** Resolves true when the server answers; default GET /healthz. */
  readonly probe?: () => Promise<boolean>;
  readonly intervalMs?: number;
  readonly maxRetryMs?: number;
  readonly random?: () => number;
}

export function defaultProbe(
  url = '/healthz',
  timeoutMs = 2500,
  onAnswer?: (date: string | null, sentAt: number, receivedAt: number) => void,
): () => Promise<boolean> {
  return async () => {
    try {
      const sentAt = Date.now();
      const res = await fetch(url, { cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) });
      onAnswer?.(res.headers.get('date'), sentAt, Date.now());
      return res.ok;
    } catch {
      return false;
    }
  };
}

export function createOnlineManager(options: OnlineManagerOptions = {}): OnlineManager {
  const events = options.events ?? window;
  const navigatorOnline = options.navigatorOnline ?? (() => navigator.onLine);
  const probe = options.probe ?? defaultProbe();
  const intervalMs = options.intervalMs ?? 5000;
  const maxRetryMs = options.maxRetryMs ?? 5000;
  const random = options.random ?? Math.random;
  const listeners = new Set<(online: boolean) => void>();
  let networkUp = navigatorOnline();
  let serverUp = networkUp;
  let forced: boolean | undefined;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let probing = false;
  let destroyed = false;
  let last = computed();

  function computed(): boolean {
    return forced ?? (networkUp && serverUp);
  }

  function emit(): void {
    const now = computed();
    if (now === last) return;
    last = now;
    for (const l of [...listeners]) l(now);
  }

  function schedule(ms: number): void {
    clearTimeout(timer);
    if (!destroyed) timer = setTimeout(() => void runProbe(), ms);
  }

  async function runProbe(): Promise<void> {
    if (probing || destroyed) return;
    if (!networkUp) {
      schedule(intervalMs);
      return;
    }
    probing = true;
    const ok = await probe();
    probing = false;
    if (destroyed) return;
    serverUp = ok;
    if (ok) failures = 0;
    else failures++;
    emit();
    // Exponential backoff with jitter while the server is unreachable.
    const retry = Math.min(500 * 2 ** failures, maxRetryMs) * (0.5 + random());
    schedule(ok ? intervalMs : retry);
  }

  const onOnline = () => {
    networkUp = true;
    failures = 0;
    void runProbe();
  };
  const onOffline = () => {
    networkUp = false;
    emit();
  };
  events.addEventListener('online', onOnline);
  events.addEventListener('offline', onOffline);
  schedule(0);

  return {
    isOnline: () => last,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setOnline(online) {
      forced = online;
      emit();
    },
    check() {
      failures = 0;
      void runProbe();
    },
    destroy() {
      destroyed = true;
      clearTimeout(timer);
      events.removeEventListener('online', onOnline);
      events.removeEventListener('offline', onOffline);
      listeners.clear();
    },
  };
}
