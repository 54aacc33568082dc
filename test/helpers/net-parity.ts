// The stdlib networks staged with the PyTorch references' weights (test/golden/generate_nets.py), for
// test/e2e/net-parity.test.ts and for the generator's export step (test/golden/export_nets.mts), which hands the
// model as segc saves it to PyTorch's load_state_dict(strict = True).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveModules } from '../../compiler/resolve/index.ts';
import type { WeightSpec } from '../../compiler/stage/index.ts';
import { Stager } from '../../compiler/stage/stager.ts';
import type { TensorEntry } from '../../runtime/checkpoint/safetensors.ts';
import { encodeSafetensors, writeSafetensorsFile } from '../../runtime/checkpoint/safetensors.ts';
import { modelEntry } from '../../runtime/weights/convert.ts';
import { loadPretrained } from '../../runtime/weights/import.ts';
import { valuesFor } from './net-values.ts';

export interface GoldenKey {
  name: string;
  shape: number[];
  dtype: 'F32' | 'I64';
}

/** What staging and export need of a network's golden file. */
export interface NetCase {
  name: string;
  model: string;
  input: number[];
  classes: number;
  keys: GoldenKey[];
}

export function readGolden<T extends NetCase>(name: string): T {
  const here = dirname(fileURLToPath(import.meta.url));
  return JSON.parse(readFileSync(join(here, '../golden/nets', `${name}.json`), 'utf8')) as T;
}

/** The weights file of the reference in `dir`: its keys, the generator's values (F32, int64 counters). */
export async function writeReferenceWeights(g: NetCase, dir: string): Promise<string> {
  const tensors: Record<string, TensorEntry> = {};
  for (const key of g.keys) {
    const values = valuesFor(key.name, key.shape);
    tensors[key.name] =
      key.dtype === 'I64'
        ? { dtype: 'I64', shape: key.shape, data: BigInt64Array.from(values, (v) => BigInt(v)) }
        : { dtype: 'F32', shape: key.shape, data: Float32Array.from(values) };
  }
  const path = join(dir, `${g.name}.safetensors`);
  await writeSafetensorsFile(path, tensors);
  return path;
}

export interface Staged {
  s: Stager;
  logits: number;
  diagnostics: unknown[];
}

/** Stages `g.model` on an f32 input `x` (its layers named from the root), weights from `file`. */
export function stageNet(g: NetCase, mode: 'train' | 'eval', file: string, dir: string): Staged {
  const call = g.model.replace('(', '(x, ').replace(/\)$/, `, weights = "${file}", name = "")`);
  const text = [
    'import std/nets { unet_resnet, fpn_resnet, deeplabv3plus_resnet }',
    `net parity(x: image[N,Cin,H,W]) = ${call}`,
  ].join('\n');
  const resolved = resolveModules(join(dir, 'parity.seg'), text);
  const net = resolved.entry.definitions.get('parity')!;
  const s = new Stager({ mode, classes: g.classes });
  const x = s.b.add('input', [], { name: 'x', dims: ['N', 'C', 'H', 'W'], sizes: g.input, dtype: 'f32' });
  const span = net.def.span;
  const callee = { kind: 'function' as const, def: net.def, scope: net.scope };
  const out = s.callDefinition(callee, [s.wrap(x)], new Map(), span, [span]);
  return { s, logits: s.tensor(out, span), diagnostics: resolved.diagnostics };
}

/** The staged weights' values: zeros, then the files of their `weights` arguments loaded over them. */
export async function weightValues(weights: WeightSpec[]) {
  const values = new Map(weights.map((w) => [w.name, new Float32Array(w.sizes.reduce((a, b) => a * b, 1))]));
  const loaded = await loadPretrained(weights, values);
  return { tensors: Object.fromEntries(values), loaded };
}

/** The model as segc run's saveModel writes model.safetensors: modelEntry of every weight, segc's metadata. */
export function savedModel(weights: WeightSpec[], tensors: Record<string, Float32Array>): Uint8Array {
  const entries = Object.fromEntries(weights.map((w) => [w.name, modelEntry(w, tensors[w.name])]));
  return encodeSafetensors(entries, { experiment: 'parity', format: 'segc' });
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
