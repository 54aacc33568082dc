// resolveModules: parses a .seg file and, transitively, every module it imports (std/... from stdlib/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Definition, Identifier, Module, ParseResult, Span } from '../../grammar/index.ts';
import { parseSource } from '../../grammar/index.ts';
import type { Diagnostic } from '../../diagnostics/index.ts';
import { createDiagnostic, quote, suggest } from '../../diagnostics/index.ts';
import { checkModule, definitionHeaders } from './checks.ts';

/** A module with its own definitions and the ones it imports, by name. */
export interface ModuleScope {
  file: string;
  module: Module;
  definitions: Map<string, { def: Definition; scope: ModuleScope }>;
  /** Definitions of this module that a syntax error kept out of `definitions`, by name. */
  broken: Set<string>;
}

export interface Resolved {
  entry: ModuleScope;
  /** Source text of every file read, for rendering diagnostics. */
  sources: Map<string, string>;
  diagnostics: Diagnostic[];
}

/**
 * Built-ins a std module lists among its exports (its helpers, in the library's documentation): importing
 * them is allowed and changes nothing, since built-ins are in scope everywhere.
 */
const REEXPORTED_BUILTINS: Record<string, string[]> = {
  'std/losses': ['onehot', 'valid', 'softmax', 'log_softmax', 'sigmoid'],
};

/**
 * Parse results by path, reused while the text is unchanged: checking several experiments (or one, again, in
 * an editor) parses the stdlib once. The AST is never mutated after parsing, so sharing it is safe.
 */
const parses = new Map<string, { text: string; parsed: ParseResult }>();

/** Forgets every cached parse (benchmarks measuring cold parses). */
export function clearParseCache(): void {
  parses.clear();
}

function parseCached(text: string, path: string): ParseResult {
  const hit = parses.get(path);
  if (hit && hit.text === text) return hit.parsed;
  const parsed = parseSource(text, path);
  parses.set(path, { text, parsed });
  return parsed;
}

/**
 * The stdlib folder of the package: beside dist/ when this code runs bundled (dist/segc.mjs, an installed
 * package), beside compiler/ when it runs from source; else under the working directory (device bundles).
 */
export function stdlibDirectory(): string {
  const candidates = [
    fileURLToPath(new URL('../stdlib', import.meta.url)),
    fileURLToPath(new URL('../../stdlib', import.meta.url)),
    resolve(process.cwd(), 'stdlib'),
  ];
  return candidates.find((c) => existsSync(c)) ?? candidates[1];
}

/** `read` supplies module text by absolute path (editors and tests can overlay files); default: the disk. */
export function resolveModules(
  file: string,
  text?: string,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): Resolved {
  const sources = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const scopes = new Map<string, ModuleScope>();
  const load = (path: string, given?: string): ModuleScope => {
    const cached = scopes.get(path);
    if (cached) return cached;
    const source = given ?? read(path);
    sources.set(path, source);
    const parsed = parseCached(source, path);
    diagnostics.push(...parsed.diagnostics, ...checkModule(parsed.module));
    const parsedNames = new Set(parsed.module.definitions.map((d) => d.name.name));
    const headers = parsed.diagnostics.length > 0 ? definitionHeaders(source) : new Set<string>();
    const broken = new Set([...headers].filter((name) => !parsedNames.has(name)));
    const scope: ModuleScope = { file: path, module: parsed.module, definitions: new Map(), broken };
    scopes.set(path, scope);
    // Where each visible name comes from, to report a second definition or import of it.
    const origins = new Map<string, { span: Span; how: string }>();
    for (const def of parsed.module.definitions) {
      if (!scope.definitions.has(def.name.name)) scope.definitions.set(def.name.name, { def, scope });
      if (!origins.has(def.name.name)) origins.set(def.name.name, { span: def.name.span, how: 'defined' });
    }
    const claim = (name: Identifier) => {
      const origin = origins.get(name.name);
      if (!origin) {
        origins.set(name.name, { span: name.span, how: 'imported' });
        return;
      }
      // Report at whichever of the two comes later in the file.
      const [first, second] =
        origin.span.start < name.span.start
          ? [origin, { span: name.span, how: 'imported' }]
          : [{ span: name.span, how: 'imported' }, origin];
      diagnostics.push(
        createDiagnostic('SEG2004', second.span, quote(name.name), first.how, first.span.line),
      );
    };
    for (const item of parsed.module.imports) {
      const target = item.path.startsWith('std/')
        ? resolve(stdlibDirectory(), `${item.path.slice(4)}.seg`)
        : resolve(dirname(path), item.path.endsWith('.seg') ? item.path : `${item.path}.seg`);
      if (!existsSync(target)) {
        diagnostics.push(createDiagnostic('SEG2002', item.span, quote(item.path)));
        continue;
      }
      const imported = load(target);
      for (const name of item.names) {
        const found = imported.definitions.get(name.name);
        claim(name);
        if (found) {
          if (!scope.definitions.has(name.name)) scope.definitions.set(name.name, found);
        } else if (imported.broken.has(name.name)) {
          // Its definition has a syntax error, already reported.
        } else if (!REEXPORTED_BUILTINS[item.path]?.includes(name.name)) {
          const diagnostic = createDiagnostic('SEG2003', name.span, quote(item.path), quote(name.name));
          diagnostics.push({ ...diagnostic, hint: suggest(name.name, imported.definitions.keys()) });
        }
      }
    }
    return scope;
  };
  const entry = load(resolve(file), text);
  return { entry, sources, diagnostics };
}
