// Pretrained weights: a definition's `weights = "file.safetensors"` (or `segc run --init-from`) loads the
// weights of its scope from a safetensors file, by key, strictly: every weight must be there with its shape
// and no key may be left over, or the load is an error that lists what is missing and what is unexpected
// (with a did-you-mean). Keys are relative to the scope; a file of an encoder alone (torchvision's ResNet
// keys, `conv1.weight`) given for a whole model loads the model's `encoder` (its classifier `fc.*` dropped,
// as smp does). F32, F16, BF16 and F64 are accepted; a batch norm's `num_batches_tracked` may be I64 or
// absent.
import { existsSync } from 'node:fs';
import type { WeightSource, WeightSpec } from '../../compiler/index.ts';
import { displayPath, suggest, userError } from '../../diagnostics/index.ts';
import { readSafetensorsFile } from '../checkpoint/safetensors.ts';
import { FLOAT_DTYPES, toFloat32 } from './convert.ts';

/** At most this many missing or unexpected keys are listed (with a count of the rest). */
const LISTED = 8;
const COUNTER = 'num_batches_tracked';

/** What one file gave: how many tensors, into which scope ('' is the whole model). */
export interface LoadedFile {
  file: string;
  scope: string;
  tensors: number;
}

/**
 * Overwrites `values` (initial values by weight name) with the pretrained files the weights name (their
 * `source`), then with `initFrom` (a whole saved model, keys as `segc params` lists them).
 */
export async function loadPretrained(
  weights: readonly WeightSpec[],
  values: Map<string, Float32Array>,
  initFrom?: string,
): Promise<LoadedFile[]> {
  const loaded: LoadedFile[] = [];
  const groups = new Map<string, { source: WeightSource; weights: WeightSpec[] }>();
  for (const w of weights) {
    if (!w.source || w.init.kind === 'values') continue;
    const key = `${w.source.file}\0${w.source.scope}\0${w.source.span.start}`;
    const group = groups.get(key) ?? { source: w.source, weights: [] };
    group.weights.push(w);
    groups.set(key, group);
  }
  for (const { source, weights: group } of groups.values()) {
    const where = `${displayPath(source.span.file)}:${source.span.line}:${source.span.col}`;
    loaded.push(await loadFile(source.file, source.scope, group, values, `${where}: `));
  }
  if (initFrom) {
    const model = weights.filter((w) => w.init.kind !== 'values');
    loaded.push(await loadFile(initFrom, '', model, values, '--init-from: '));
  }
  return loaded;
}

async function loadFile(
  file: string,
  scope: string,
  weights: WeightSpec[],
  values: Map<string, Float32Array>,
  prefix: string,
): Promise<LoadedFile> {
  const fail = (why: string): never => {
    throw userError('SEG6069', [prefix, file, why]);
  };
  if (!existsSync(file)) fail('there is no such file.');
  const tensors = await readSafetensorsFile(file).then(
    (contents) => contents.tensors,
    (error: Error) => fail(error.message.replace(/^[^:]*: /, '')),
  );
  const relative = (w: WeightSpec) => (scope === '' ? w.name : w.name.slice(scope.length + 1));
  let targets = new Map(weights.map((w) => [relative(w), w]));
  let into = scope;
  let ignored = new Set<string>();
  if (!Object.keys(tensors).some((k) => targets.has(k))) {
    // An encoder's file given for the model: load the child scope whose weights it names.
    const child = childScope(Object.keys(tensors), [...targets.keys()]);
    if (child) {
      targets = new Map(
        [...targets]
          .filter(([k]) => k.startsWith(`${child}.`))
          .map(([k, w]) => [k.slice(child.length + 1), w]),
      );
      into = scope === '' ? child : `${scope}.${child}`;
      ignored = new Set(Object.keys(tensors).filter((k) => k.startsWith('fc.')));
    }
  }
  const missing = [...targets.keys()].filter((k) => !(k in tensors) && !k.endsWith(`.${COUNTER}`));
  const unexpected = Object.keys(tensors).filter((k) => !targets.has(k) && !ignored.has(k));
  if (missing.length > 0 || unexpected.length > 0) {
    const lines: string[] = [];
    if (missing.length > 0) lines.push(`missing (${missing.length}): ${listed(missing, unexpected)}`);
    if (unexpected.length > 0)
      lines.push(`unexpected (${unexpected.length}): ${listed(unexpected, missing)}`);
    const hint =
      into === ''
        ? " Keys are the model's own, as `segc params` lists them."
        : ` Keys are relative to '${into}' (torchvision's ResNet keys for an encoder).`;
    fail(`its keys do not match the model's.\n  ${lines.join('\n  ')}\n ${hint}`);
  }
  let count = 0;
  for (const [key, w] of targets) {
    const entry = tensors[key];
    if (!entry) continue;
    const accepted: string[] = [...FLOAT_DTYPES, ...(w.dtype === 'i64' ? ['I64'] : [])];
    if (!accepted.includes(entry.dtype))
      fail(`'${key}' is ${entry.dtype}; weights are ${accepted.join(', ')}.`);
    if (entry.shape.length !== w.sizes.length || entry.shape.some((d, i) => d !== w.sizes[i])) {
      fail(
        `'${key}' has shape [${entry.shape.join(', ')}], the model's '${w.name}' is [${w.sizes.join(', ')}].`,
      );
    }
    const data = toFloat32(entry);
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) fail(`'${key}' holds ${data[bad]} at index ${bad}.`);
    values.set(w.name, Float32Array.from(data));
    count++;
  }
  return { file, scope: into, tensors: count };
}

/** The first segment of `targets` under which most of `keys` are found, if any is. */
function childScope(keys: string[], targets: string[]): string | undefined {
  const children = new Set(targets.map((t) => t.split('.')[0]));
  let best: string | undefined;
  let most = 0;
  for (const child of children) {
    const names = new Set(
      targets.filter((t) => t.startsWith(`${child}.`)).map((t) => t.slice(child.length + 1)),
    );
    const found = keys.filter((k) => names.has(k)).length;
    if (found > most) [best, most] = [child, found];
  }
  return best;
}

/**
 * Up to LISTED keys, each with a did-you-mean among `candidates` (the unmatched keys of the other side),
 * and how many more there are.
 */
function listed(keys: string[], candidates: string[]): string {
  const shown = keys.slice(0, LISTED).map((k) => {
    const hint = suggest(k, candidates);
    return hint
      ? `'${k}' (${hint.replace(/^Did you mean /, 'did you mean ').replace(/\?$/, '')}?)`
      : `'${k}'`;
  });
  return shown.join(', ') + (keys.length > LISTED ? `, and ${keys.length - LISTED} more` : '');
}
