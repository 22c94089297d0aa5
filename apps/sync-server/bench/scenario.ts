/** What every scenario gets: the run's options, a data folder, and where its results go. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerKind } from './harness.js';
import type { Figure, ServerResult } from './results.js';

export interface BenchOptions {
  readonly quick: boolean;
  readonly servers: readonly ServerKind[];
  /** fanout: writers per closed-loop run. */
  readonly clients: readonly number[];
  readonly durationMs: number;
  readonly window: number;
  readonly observers: number;
  /** fixed (and fanout's paced runs): the same load on another document first, unmeasured, for this long (0: none). */
  readonly fixedWarmupMs: number;
  /**
   * fixed: [writers, edits per second offered, history] per run; with a history (updates), the
   * document written to already holds that many (coldload.ts), stored as each server stores it.
   */
  readonly fixed: readonly (readonly [number, number, number?])[];
  /** coldload: history lengths (updates). */
  readonly history: readonly number[];
  /** docs: documents opened at once, one connection each. */
  readonly docs: number;
  /** docs: idle and after-unload RSS are read again this long after their forced GC (0: not). */
  readonly rssSettleMs: number;
  /** burst: keystrokes sent as fast as the socket takes them, per run. */
  readonly bursts: readonly number[];
  /** storm: clients reconnecting at once, and the edits each makes offline. */
  readonly storm: number;
  readonly stormEdits: number;
}

export interface ScenarioContext {
  readonly options: BenchOptions;
  /** A new empty folder for one server's data. */
  dataDir(label: string): string;
  /** Record one result (one parameter set, every server): results.jsonl and the run summary. */
  record(
    scenario: string,
    params: Record<string, Figure>,
    servers: Partial<Record<ServerKind, ServerResult>>,
    info?: Record<string, Figure>,
  ): void;
  /** Details for bench/results/latest-run.jsonl (gitignored). */
  detail(scenario: string, value: unknown): void;
}

export function makeDataDir(root: string, label: string): string {
  const dir = join(root, label);
  mkdirSync(dir, { recursive: true });
  return dir;
}
