import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const srcDir = join(import.meta.dirname, '..', 'src');
const allowed = new Set(['yjs', 'lib0/encoding', 'lib0/decoding', 'zod', 'diff']);

describe('purity of @concord/shared', () => {
  it('PURE1: src imports only yjs, lib0, zod, diff and its own modules; no DOM, network or process globals', () => {
    const files = readdirSync(srcDir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(join(srcDir, file), 'utf8');
      for (const m of text.matchAll(
        /\bfrom\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|require\(\s*'([^']+)'\s*\)/g,
      )) {
        const spec = m[1] ?? m[2] ?? m[3]!;
        expect(spec.startsWith('./') || allowed.has(spec), `${file} imports ${spec}`).toBe(true);
      }
      const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(code, file).not.toMatch(
        /\b(window|document|indexedDB|localStorage|fetch|WebSocket|navigator|process)\s*[.(]/,
      );
    }
  });
});
