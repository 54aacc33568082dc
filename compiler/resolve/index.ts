// resolveModules: parses a .seg file and, transitively, every module it imports (std/... from stdlib/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Definition, Module } from '../../grammar/index.ts';
import { parseSource } from '../../grammar/index.ts';
import type { Diagnostic } from '../diagnostics/index.ts';
import { createDiagnostic, quote, suggest } from '../diagnostics/index.ts';

/** A module with its own definitions and the ones it imports, by name. */
export interface ModuleScope {
  file: string;
  module: Module;
  definitions: Map<string, { def: Definition; scope: ModuleScope }>;
}

export interface Resolved {
  entry: ModuleScope;
  /** Source text of every file read, for rendering diagnostics. */
  sources: Map<string, string>;
  diagnostics: Diagnostic[];
}

/**
 * Built-ins a std module lists among its exports (its helpers, in the library's documentation): importing them is
 * allowed and changes nothing, since built-ins are in scope everywhere.
 */
const REEXPORTED_BUILTINS: Record<string, string[]> = {
  'std/losses': ['onehot', 'valid', 'softmax', 'log_softmax', 'sigmoid'],
};

/** The stdlib folder: beside the compiler sources, or under the working directory (device bundles). */
export function stdlibDirectory(): string {
  const candidates = [fileURLToPath(new URL('../../stdlib', import.meta.url)), resolve(process.cwd(), 'stdlib')];
  return candidates.find((c) => existsSync(c)) ?? candidates[1];
}

/** `read` supplies module text by absolute path (editors and tests can overlay files); default: the disk. */
export function resolveModules(file: string, text?: string, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): Resolved {
  const sources = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const scopes = new Map<string, ModuleScope>();
  const load = (path: string, given?: string): ModuleScope => {
    const cached = scopes.get(path);
    if (cached) return cached;
    const source = given ?? read(path);
    sources.set(path, source);
    const parsed = parseSource(source, path);
    diagnostics.push(...parsed.diagnostics);
    const scope: ModuleScope = { file: path, module: parsed.module, definitions: new Map() };
    scopes.set(path, scope);
    for (const def of parsed.module.definitions) scope.definitions.set(def.name.name, { def, scope });
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
        if (found) scope.definitions.set(name.name, found);
        else if (!REEXPORTED_BUILTINS[item.path]?.includes(name.name)) {
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
