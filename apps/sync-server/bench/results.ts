/**
 * Results: every run appends one JSON line per scenario result to bench/results/results.jsonl
 * (committed): when, which commit (and whether the tree was dirty), which machine, the scenario
 * and its parameters, and per server its figures, whether it converged and whether the clients
 * may have set the pace (client-bound). table.ts turns the latest lines into the README's table.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { concordConfigOverride, type ServerKind } from './harness.js';

/** The benchmark's source folder (this file runs from dist/bench/). */
export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../bench');
export const RESULTS_FILE = join(BENCH_DIR, 'results/results.jsonl');

export type Figure = number | string | boolean | null;

export interface ServerResult {
  figures: Record<string, Figure>;
  converged: boolean;
  clientBound: boolean;
  problems?: string[];
}

export interface ResultLine {
  timestamp: string;
  commit: string;
  dirty: boolean;
  machine: { cpus: number; model: string | undefined; node: string };
  quick: boolean;
  scenario: string;
  params: Record<string, Figure>;
  servers: Partial<Record<ServerKind, ServerResult>>;
  info?: Record<string, Figure>;
  /** BENCH_CONCORD_CONFIG of the run, when set. */
  concordConfig?: Record<string, unknown>;
}

function git(...args: string[]): string {
  const r = spawnSync('git', ['-C', BENCH_DIR, ...args], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

let revision: { commit: string; dirty: boolean } | undefined;
/** The commit under test, read once at the start of the run (before results.jsonl changes). */
export function gitRevision(): { commit: string; dirty: boolean } {
  revision ??= {
    commit: git('rev-parse', '--short', 'HEAD') || 'unknown',
    // Uncommitted changes anywhere but in the results themselves.
    dirty:
      git(
        'status',
        '--porcelain',
        '--',
        ':(top)',
        ':(top,exclude)apps/sync-server/bench/results',
      ) !== '',
  };
  return revision;
}

export function resultLine(
  quick: boolean,
  scenario: string,
  params: Record<string, Figure>,
  servers: Partial<Record<ServerKind, ServerResult>>,
  info?: Record<string, Figure>,
): ResultLine {
  return {
    timestamp: new Date().toISOString(),
    ...gitRevision(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    quick,
    scenario,
    params,
    servers,
    ...(info ? { info } : {}),
    ...(Object.keys(concordConfigOverride).length > 0
      ? { concordConfig: concordConfigOverride }
      : {}),
  };
}

export function appendResult(line: ResultLine): void {
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  appendFileSync(RESULTS_FILE, `${JSON.stringify(line)}\n`);
}
