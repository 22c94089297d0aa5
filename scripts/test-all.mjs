#!/usr/bin/env node
// Runs every test suite of the monorepo through turbo, then prints one plain closing line,
// `N passed, N failed`, totalled from the JSON reports each suite writes to test-results/.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const workspaces = ['packages', 'apps'].flatMap((dir) =>
  existsSync(join(root, dir))
    ? readdirSync(join(root, dir)).map((name) => join(root, dir, name))
    : [],
);
for (const ws of workspaces) rmSync(join(ws, 'test-results'), { recursive: true, force: true });

const tasks = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['test', 'e2e'];

// Lint, formatting, types and dead code first: a failure fails the run, but the suites still run
// and report.
const lint = spawnSync('npm', ['run', 'lint', '--silent'], { cwd: root, stdio: 'inherit' });
console.log(lint.status === 0 ? 'lint: clean' : 'lint: FAILED');
const types = spawnSync('npx', ['turbo', 'run', 'typecheck', '--output-logs=errors-only'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
});
console.log(types.status === 0 ? 'types: checked' : 'types: FAILED');
const knip = spawnSync('npx', ['knip'], { cwd: root, stdio: 'inherit' });
console.log(knip.status === 0 ? 'dead code: none' : 'dead code: FOUND (knip)');
// One suite at a time: the machine has two cores, and the timing-sensitive suites (kill -9 and
// convergence across processes, Playwright with its own server processes) must not compete.
const run = spawnSync(
  'npx',
  ['turbo', 'run', ...tasks, '--log-order=grouped', '--continue', '--concurrency=1'],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  },
);

let passed = 0;
let failed = 0;
let skipped = 0;
const reports = [];
// The failed tests by name, printed last: CI logs are often read from their end only.
const failures = [];
const firstLine = (text) =>
  stripVTControlCharacters(String(text ?? ''))
    .split('\n')
    .find((line) => line.trim()) ?? '';

function vitestFailures(report) {
  for (const file of report.testResults ?? []) {
    // A file that failed as a whole (an import error, a hook that threw) may list no test.
    if (
      file.status === 'failed' &&
      !(file.assertionResults ?? []).some((t) => t.status === 'failed')
    )
      failures.push(`${file.name}: ${firstLine(file.message)}`);
    for (const test of file.assertionResults ?? [])
      if (test.status === 'failed')
        failures.push(`${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
  }
}

function playwrightFailures(suite) {
  for (const spec of suite.specs ?? [])
    for (const test of spec.tests ?? [])
      if (test.status === 'unexpected') {
        const error = test.results?.at(-1)?.error?.message;
        failures.push(`${spec.file}:${spec.line} ${spec.title}: ${firstLine(error)}`);
      }
  for (const child of suite.suites ?? []) playwrightFailures(child);
}
for (const ws of workspaces) {
  const dir = join(ws, 'test-results');
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    reports.push(join(dir, file));
    if (typeof report.numPassedTests === 'number') {
      // vitest json reporter
      passed += report.numPassedTests;
      failed += report.numFailedTests;
      skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
      vitestFailures(report);
    } else if (report.stats) {
      // playwright json reporter
      passed += report.stats.expected + (report.stats.flaky ?? 0);
      failed += report.stats.unexpected;
      skipped += report.stats.skipped ?? 0;
      for (const suite of report.suites ?? []) playwrightFailures(suite);
      // Errors outside any test (the web server did not start, a config error).
      for (const error of report.errors ?? [])
        failures.push(`playwright: ${firstLine(error.message)}`);
    }
  }
}
if (reports.length === 0) failed += 1; // no suite reported: something broke before tests ran
const ok =
  run.status === 0 && failed === 0 && lint.status === 0 && types.status === 0 && knip.status === 0;
if (run.status !== 0 && failed === 0) failed += 1; // a suite crashed without a report
if (failures.length > 0) console.log(`\nfailed:\n${failures.map((f) => `- ${f}`).join('\n')}`);
console.log(`\nsuites reported: ${reports.length}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok ? 0 : 1);
