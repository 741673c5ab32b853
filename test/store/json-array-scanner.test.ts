import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JsonArrayScanner, JsonScanError } from '../../src/store/json-array-scanner.js';
import { seededRandom } from '../support/fake-genesys/failures.js';

/** Runs the scanner over `bytes` cut into `chunkSize` pieces and JSON.parses every element. */
function scanAll(bytes: Buffer, chunkSize: number): unknown[] | undefined {
  const scanner = new JsonArrayScanner();
  const values: unknown[] = [];
  const indexes: number[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    // Copy each chunk into a reused buffer, as the chunked reader does, to catch retained slices.
    const chunk = Buffer.from(bytes.subarray(offset, offset + chunkSize));
    scanner.push(chunk, (buf, ranges, firstIndex) => {
      for (let k = 0; k < ranges.length / 2; k++) {
        values.push(JSON.parse(buf.toString('utf8', ranges[2 * k], ranges[2 * k + 1])));
        indexes.push(firstIndex + k);
      }
    });
    chunk.fill(0x20);
  }
  const nonEmpty = scanner.end();
  assert.deepEqual(indexes, values.map((_, i) => i), 'elements arrive in order with their indexes');
  return nonEmpty ? values : undefined;
}

function accepts(bytes: Buffer, chunkSize: number): { ok: true; values: unknown[] | undefined } | { ok: false } {
  try {
    return { ok: true, values: scanAll(bytes, chunkSize) };
  } catch (error) {
    if (error instanceof JsonScanError || error instanceof SyntaxError) return { ok: false };
    throw error;
  }
}

const TRICKY = [']', '[', ',', '{', '}', '"', '\\', '\\\\', '\\"', 'é', '漢', '😀', '\n', '\t', '\u0001', ' ', 'a', '\u2028'];

function randomString(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 8);
  for (let i = 0; i < n; i++) s += TRICKY[Math.floor(r() * TRICKY.length)];
  return s;
}

function randomValue(r: () => number, depth: number): unknown {
  const pick = r();
  if (depth > 3 || pick < 0.3) {
    const leaf = Math.floor(r() * 5);
    return [randomString(r), Math.floor(r() * 1000) - 500, true, null, 1.5e-3][leaf];
  }
  if (pick < 0.65) {
    const o: Record<string, unknown> = {};
    const n = Math.floor(r() * 4);
    for (let i = 0; i < n; i++) o[randomString(r)] = randomValue(r, depth + 1);
    return o;
  }
  return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
}

function layouts(values: unknown[]): string[] {
  return [
    JSON.stringify(values),
    JSON.stringify(values, null, 2),
    values.length === 0 ? '[]\n' : `[\n${values.map((v) => JSON.stringify(v)).join(',\n')}\n]\n`,
    ` \r\n\t${JSON.stringify(values, null, '\t')} \n`,
  ];
}

describe('JsonArrayScanner', () => {
  it('splits strings holding ] , { and escaped quotes correctly, at every chunk size', () => {
    const values = [
      { delivery_id: 'a]', body: '{"x":[1,2,{"y":"]"}]}', q: 'say \\"hi\\" ] , {' },
      { delivery_id: 'b,', esc: 'ends with backslash \\', esc2: '\\\\"', nested: [[[]], {}] },
      'top-level string with ] and ,',
      42,
      { delivery_id: 'c{', uni: 'é漢😀', empty: '' },
    ];
    for (const text of layouts(values)) {
      const bytes = Buffer.from(text);
      for (let size = 1; size <= bytes.length + 1; size++) {
        assert.deepEqual(scanAll(bytes, size), values, `chunk size ${size}`);
      }
    }
  });

  it('decodes multi-byte UTF-8 split at every possible byte boundary', () => {
    const values = [{ s: 'é'.repeat(5) }, { s: '漢字'.repeat(3) }, { s: '😀🎉' }, { k: '\\é"' }];
    const bytes = Buffer.from(JSON.stringify(values));
    for (let size = 1; size <= 7; size++) assert.deepEqual(scanAll(bytes, size), values);
    // Boundary at each offset with two chunks: [0, cut) and [cut, end).
    for (let cut = 1; cut < bytes.length; cut++) {
      const scanner = new JsonArrayScanner();
      const got: unknown[] = [];
      const sink = (buf: Buffer, ranges: readonly number[]) => {
        for (let k = 0; k < ranges.length / 2; k++) got.push(JSON.parse(buf.toString('utf8', ranges[2 * k], ranges[2 * k + 1])));
      };
      scanner.push(bytes.subarray(0, cut), sink);
      scanner.push(bytes.subarray(cut), sink);
      assert.equal(scanner.end(), true);
      assert.deepEqual(got, values, `cut at ${cut}`);
    }
  });

  it('handles runs of backslashes that straddle chunk boundaries', () => {
    for (let run = 0; run <= 6; run++) {
      const s = `${'\\'.repeat(run)}"]`;
      const values = [{ s }, { t: 'x' }];
      const bytes = Buffer.from(JSON.stringify(values));
      for (let size = 1; size <= 9; size++) assert.deepEqual(scanAll(bytes, size), values, `run ${run}, size ${size}`);
    }
  });

  it('treats whitespace-only input as empty and accepts [] in any layout, with or without a BOM', () => {
    assert.equal(scanAll(Buffer.from(''), 4), undefined);
    assert.equal(scanAll(Buffer.from(' \n\t\r '), 2), undefined);
    assert.deepEqual(scanAll(Buffer.from('[]'), 1), []);
    assert.deepEqual(scanAll(Buffer.from('  [ \n ]\n'), 3), []);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"a":1}]')]);
    for (let size = 1; size <= 4; size++) assert.deepEqual(scanAll(bom, size), [{ a: 1 }]);
  });

  it('rejects invalid structure with a one-line reason', () => {
    const cases: [string, RegExp][] = [
      ['{}', /not a JSON array \(the top level is an object\)/],
      ['"x"', /not a JSON array \(starts with '"'\)/],
      ['[1,]', /unexpected '\]' after ','/],
      ['[,1]', /unexpected ','/],
      ['[1,,2]', /unexpected ','/],
      ['[1]]', /after the end of the array/],
      ['[1] x', /after the end of the array/],
      ['[1}', /unexpected '\}'/],
      ['[{"a":1}', /truncated: the JSON array is not closed \(0 complete entries before the cut\)/],
      ['[{"a":1},{"b"', /truncated: the JSON array is not closed \(1 complete entry before the cut\)/],
      ['[{"a":"1', /truncated/],
      ['[', /truncated/],
    ];
    for (const [text, expected] of cases) {
      for (const size of [1, 3, 100]) {
        assert.throws(
          () => scanAll(Buffer.from(text), size),
          (error: unknown) => error instanceof JsonScanError && expected.test(error.message) && !error.message.includes('\n'),
          `${text} at chunk size ${size}`,
        );
      }
    }
  });

  it('accepts exactly what JSON.parse accepts (random documents and random corruptions)', () => {
    const r = seededRandom(20240611); // deterministic, so a failure can be reproduced
    let checked = 0;
    let rejected = 0;
    for (let doc = 0; doc < 250; doc++) {
      const values = Array.from({ length: Math.floor(r() * 6) }, () => randomValue(r, 0));
      for (const text of layouts(values)) {
        const good = Buffer.from(text);
        assert.deepEqual(scanAll(good, 1 + Math.floor(r() * 16)), values);
        // Corrupt: truncate, drop a byte, or insert a structural byte, and compare verdicts.
        const mutations: Buffer[] = [];
        const at = Math.floor(r() * good.length);
        mutations.push(good.subarray(0, at));
        mutations.push(Buffer.concat([good.subarray(0, at), good.subarray(at + 1)]));
        const insert = Buffer.from([',', ']', '[', '{', '}', '"', '\\', ':', '1'][Math.floor(r() * 9)] as string);
        mutations.push(Buffer.concat([good.subarray(0, at), insert, good.subarray(at)]));
        for (const bad of mutations) {
          let expected: unknown;
          let parses = true;
          try {
            expected = JSON.parse(bad.toString('utf8'));
          } catch {
            parses = false;
          }
          const whitespaceOnly = /^[ \t\n\r]*$/.test(bad.toString('utf8'));
          const got = accepts(bad, 1 + Math.floor(r() * 16));
          if (whitespaceOnly) {
            assert.deepEqual(got, { ok: true, values: undefined });
          } else if (parses && Array.isArray(expected)) {
            assert.deepEqual(got, { ok: true, values: expected }, `should accept ${JSON.stringify(bad.toString())}`);
          } else {
            assert.equal(got.ok, false, `should reject ${JSON.stringify(bad.toString())}`);
            rejected++;
          }
          checked++;
        }
      }
    }
    assert.ok(checked >= 3000 && rejected > 1000, `checked ${checked}, rejected ${rejected}`);
  });
});
