// The generator's export step (generate_nets.py, export_check): writes the model of a network's golden case as
// segc saves it (the reference's weights loaded through the net's `weights` argument, then savedModel: what
// segc run writes as model.safetensors) to OUT, for PyTorch to load with load_state_dict(strict = True).
// Usage (from the repository root): npx tsx test/golden/export_nets.mts NAME OUT
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetCase } from '../helpers/net-parity.ts';
import { readGolden, savedModel, stageNet, weightValues, writeReferenceWeights } from '../helpers/net-parity.ts';

const [name, out] = process.argv.slice(2);
const g = readGolden<NetCase>(name);
const dir = mkdtempSync(join(tmpdir(), 'segc-export-'));
const staged = stageNet(g, 'eval', await writeReferenceWeights(g, dir), dir);
if (staged.diagnostics.length > 0) throw new Error(JSON.stringify(staged.diagnostics));
const weights = staged.s.weights;
const { tensors } = await weightValues(weights);
writeFileSync(out, savedModel(weights, tensors));
