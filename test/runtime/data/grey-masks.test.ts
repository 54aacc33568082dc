// Grey label PNGs (test/golden/generate_grey_masks.py): 8-bit ones go through sharp, 16-bit ones and those
// sharp reads with an alpha channel (tRNS) through fast-png; every one decodes to the values PIL's Image.open
// gives (the stored values: an embedded ICC profile and tRNS change nothing).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { decodeMask } from '../../../runtime/data/decode/label.ts';
import { FIXTURES, expected, summarise } from './golden.ts';

const golden = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'golden', 'data', 'grey_masks.json'), 'utf8'),
);

test.each(['plain.png', 'icc.png', 'transparent.png', 'wide.png'])(
  '%s decodes to the stored values',
  async (name) => {
    const mask = await decodeMask(join(FIXTURES, 'grey_masks', name));
    const g = golden[name];
    expect([mask.height, mask.width]).toEqual(g.shape);
    expect(mask.colour).toBe(false);
    expect(mask.data instanceof Uint16Array ? 'uint16' : 'uint8').toBe(g.dtype);
    expect(summarise(mask.data)).toEqual(expected(g));
  },
);
