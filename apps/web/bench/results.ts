/** The web benchmark's results: JSON lines, and the Markdown table regenerated from them. */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WebBenchResult {
  readonly at: string;
  readonly products: number;
  readonly seedMs: number;
  readonly firstSyncMs: number;
  readonly reloadToInteractiveMs: number;
  readonly keystrokeMedianMs: number;
  readonly keystrokeP95Ms: number;
  readonly heapAfterSyncMb: number;
  readonly heapAfterReloadMb: number;
  /** Keystroke → next painted frame while a first sync runs (older runs: not measured). */
  readonly typingDuringSyncP95Ms?: number;
  readonly typingDuringSyncMaxMs?: number;
}

const DIR = import.meta.dirname;
const LINES = join(DIR, 'results.jsonl');
const README = join(DIR, 'README.md');
const BEGIN = '<!-- results:begin -->';
const END = '<!-- results:end -->';

/** The issue's targets: first sync of the catalog < 10 s, reload → interactive < 1 s, keystroke < 50 ms (p95). */
export function missedTargets(r: WebBenchResult): string[] {
  return [
    r.firstSyncMs >= 10_000 ? 'first sync' : '',
    r.reloadToInteractiveMs >= 1_000 ? 'reload' : '',
    r.keystrokeP95Ms >= 50 ? 'keystroke' : '',
  ].filter(Boolean);
}

export function appendResult(result: WebBenchResult): void {
  appendFileSync(LINES, `${JSON.stringify(result)}\n`);
  if (!existsSync(README)) return;
  const all = readFileSync(LINES, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as WebBenchResult);
  const rows = all.map(
    (r) =>
      `| ${r.at.slice(0, 16).replace('T', ' ')} | ${r.products.toLocaleString('en')} | ` +
      `${(r.firstSyncMs / 1000).toFixed(1)} s | ${r.reloadToInteractiveMs} ms | ` +
      `${r.keystrokeMedianMs} / ${r.keystrokeP95Ms} ms | ` +
      `${r.typingDuringSyncP95Ms !== undefined ? `${r.typingDuringSyncP95Ms} / ${r.typingDuringSyncMaxMs} ms` : '—'} | ` +
      `${r.heapAfterSyncMb} / ${r.heapAfterReloadMb} MB | ` +
      `${missedTargets(r).length === 0 ? 'met' : `missed: ${missedTargets(r).join(', ')}`} |`,
  );
  const table = [
    '| run (UTC) | products | first sync | reload → interactive | keystroke median / p95 | typing during first sync p95 / max | JS heap after sync / reload | targets |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf(BEGIN);
  const stop = text.indexOf(END);
  if (start < 0 || stop < 0) return;
  writeFileSync(README, `${text.slice(0, start + BEGIN.length)}\n${table}\n${text.slice(stop)}`);
}
