/**
 * The layering of src/ (README, section quick-start, "Layout"), checked on the import statements
 * of the sources, so a change that breaks it fails here instead of in review:
 *
 *   cli.ts → commands/ → doctor/, completion/ → harvest/, replay/, select/, output/, lifecycle/
 *     → store/, genesys/ → entries/ → the root modules (src/*.ts but cli.ts)
 *
 * A module imports its own folder or a lower layer; the middle folders import each other without
 * a cycle between folders. Besides: only genesys/client.ts loads the SDK, no module imports
 * cli.ts (bin/dlq.js does), and only store/ uses node:fs write APIs.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { ROOT } from './support/run-bin.js';

const SDK = 'purecloud-platform-client-v2';

/** Rank per layer: a module may import modules of its own unit or of a lower rank only. */
const RANK: Readonly<Record<string, number>> = {
  root: 0,
  entries: 1,
  store: 2,
  genesys: 2,
  harvest: 3,
  replay: 3,
  select: 3,
  output: 3,
  lifecycle: 3,
  doctor: 4,
  completion: 4,
  commands: 5,
  cli: 6,
};

/** node:fs functions that change the file system: only store/ may call them (README, "Only src/store/ touches the DLQ file"). */
const FS_WRITES = new Set(
  ['appendFile', 'chmod', 'chown', 'copyFile', 'cp', 'createWriteStream', 'fdatasync', 'fsync', 'ftruncate', 'link', 'mkdir', 'mkdtemp']
    .concat(['open', 'rename', 'rm', 'rmdir', 'symlink', 'truncate', 'unlink', 'utimes', 'write', 'writeFile', 'writev', 'promises'])
    .flatMap((name) => [name, `${name}Sync`]),
);
const FS_MODULES = new Set(['fs', 'node:fs', 'fs/promises', 'node:fs/promises']);

/** The unit of a path relative to the repository: `src/store/x.ts` → store, `src/io.ts` → root. */
function unitOf(path: string): string {
  const parts = path.split('/');
  if (parts.length === 2) return path === 'src/cli.ts' ? 'cli' : 'root';
  return parts[1] as string;
}

interface Import {
  specifier: string;
  /** Named bindings of a static import; undefined for a default or namespace import, a re-export or import(). */
  names: string[] | undefined;
}

function importsOf(path: string, source: string): { imports: Import[]; sdkMentions: number } {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const imports: Import[] = [];
  let sdkMentions = 0;
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = ts.isImportDeclaration(node) ? node.importClause : undefined;
      const bindings = clause?.namedBindings;
      const named = clause !== undefined && clause.name === undefined && (bindings === undefined || ts.isNamedImports(bindings));
      imports.push({
        specifier: node.moduleSpecifier.text,
        names: named && bindings !== undefined && ts.isNamedImports(bindings) ? bindings.elements.map((e) => (e.propertyName ?? e.name).text) : undefined,
      });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg !== undefined && ts.isStringLiteralLike(arg)) imports.push({ specifier: arg.text, names: undefined });
    }
    // require() through createRequire, or any other way of naming the SDK's package.
    if (ts.isStringLiteralLike(node) && node.text === SDK) sdkMentions += 1;
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { imports, sdkMentions };
}

/** Every rule broken by `sources` (repository-relative path → text), one line each. */
function layeringViolations(sources: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const folderEdges = new Map<string, Set<string>>();
  for (const [path, source] of sources) {
    const from = unitOf(path);
    const { imports, sdkMentions } = importsOf(path, source);
    if (sdkMentions > 0 && path !== 'src/genesys/client.ts') problems.push(`${path} names the SDK (${SDK}); only src/genesys/client.ts may`);
    for (const { specifier, names } of imports) {
      if (FS_MODULES.has(specifier) && from !== 'store') {
        const writes = names === undefined ? ['(the whole module)'] : names.filter((n) => FS_WRITES.has(n));
        if (writes.length > 0) problems.push(`${path} imports ${writes.join(', ')} from ${specifier}; only src/store/ writes files`);
      }
      if (!specifier.startsWith('.')) continue;
      const target = posix.normalize(posix.join(posix.dirname(path), specifier)).replace(/\.js$/, '.ts');
      if (!target.startsWith('src/')) continue;
      const to = unitOf(target);
      if (target === 'src/cli.ts') problems.push(`${path} imports src/cli.ts; only bin/dlq.js may`);
      if (from === to) continue;
      const [rankFrom, rankTo] = [RANK[from], RANK[to]];
      if (rankFrom === undefined || rankTo === undefined) {
        problems.push(`${path} → ${target}: folder ${rankFrom === undefined ? from : to} has no layer in test/architecture.test.ts`);
      } else if (rankTo > rankFrom) {
        problems.push(`${path} (${from}) imports ${target} (${to}), a higher layer`);
      } else if (rankTo === rankFrom) {
        let edges = folderEdges.get(from);
        if (edges === undefined) folderEdges.set(from, (edges = new Set()));
        edges.add(to);
      }
    }
  }
  // Folders of one layer may use each other, one way only: no cycle between folders.
  for (const [from, edges] of folderEdges) {
    for (const to of edges) {
      if (from < to && reaches(folderEdges, to, from)) problems.push(`folders ${from}/ and ${to}/ import each other (a cycle)`);
    }
  }
  return [...new Set(problems)].sort();
}

function reaches(edges: ReadonlyMap<string, ReadonlySet<string>>, start: string, goal: string): boolean {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const at = stack.pop() as string;
    if (at === goal) return true;
    if (seen.has(at)) continue;
    seen.add(at);
    stack.push(...(edges.get(at) ?? []));
  }
  return false;
}

function readSources(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const full = join(entry.parentPath, entry.name);
    out.set(relative(ROOT, full).split('\\').join('/'), readFileSync(full, 'utf8'));
  }
  return out;
}

test('src/ keeps its layers: each module imports its own folder or a lower layer, no folder cycles, SDK and file writes in their one place', () => {
  const sources = readSources(join(ROOT, 'src'));
  assert.ok(sources.size > 50 && sources.has('src/store/file-store.ts') && sources.has('src/genesys/client.ts'), 'read the sources');
  assert.deepEqual(layeringViolations(sources), []);
});

test('only bin/dlq.js loads cli.ts, and it does', () => {
  const bin = readFileSync(join(ROOT, 'bin/dlq.js'), 'utf8');
  assert.ok(importsOf('bin/dlq.js', bin).imports.some((i) => i.specifier === '../dist/src/cli.js'));
});

test('the checker reports each kind of break (so the test above can fail)', () => {
  const bad = new Map([
    ['src/store/file-store.ts', "import { buildFilter } from '../select/filters.js';\nimport type { X } from '../replay/x.js';"],
    ['src/select/group-entries.ts', "import { webhookNames } from '../output/entry-table.js';"],
    ['src/output/group-table.ts', "import type { GroupCount } from '../select/group-entries.js';"],
    ['src/commands/replay.ts', "import { version } from '../cli.js';"],
    ['src/harvest/x.ts', "const sdk = createRequire(import.meta.url)('purecloud-platform-client-v2');"],
    ['src/output/y.ts', "import { readFileSync, writeFileSync } from 'node:fs';\nimport * as fsp from 'node:fs/promises';"],
    ['src/entries/z.ts', "const m = await import('../store/dlq-file.js');"],
    ['src/store/ok.ts', "import { rename } from 'node:fs/promises';\nimport { a } from './dlq-file.js';\nimport { b } from '../entries/filters.js';"],
    ['src/newthing/w.ts', "import { c } from '../errors.js';"],
  ]);
  assert.deepEqual(layeringViolations(bad), [
    'folders output/ and select/ import each other (a cycle)',
    'src/commands/replay.ts (commands) imports src/cli.ts (cli), a higher layer',
    'src/commands/replay.ts imports src/cli.ts; only bin/dlq.js may',
    'src/entries/z.ts (entries) imports src/store/dlq-file.ts (store), a higher layer',
    'src/harvest/x.ts names the SDK (purecloud-platform-client-v2); only src/genesys/client.ts may',
    'src/newthing/w.ts → src/errors.ts: folder newthing has no layer in test/architecture.test.ts',
    'src/output/y.ts imports (the whole module) from node:fs/promises; only src/store/ writes files',
    'src/output/y.ts imports writeFileSync from node:fs; only src/store/ writes files',
    'src/store/file-store.ts (store) imports src/replay/x.ts (replay), a higher layer',
    'src/store/file-store.ts (store) imports src/select/filters.ts (select), a higher layer',
  ]);
});
