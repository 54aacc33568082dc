// Photos with an embedded Adobe RGB ICC profile (test/golden/generate_icc_photos.py) decode to their stored
// values, as PIL's convert('RGB') and OpenCV's imread give them (upstream's loaders): sharp would otherwise
// convert them to sRGB through the profile. The golden's sRGB conversion differs, so the test can tell.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { decodeImage } from '../../../runtime/data/decode/image.ts';
import { FIXTURES, expected, summarise } from './golden.ts';

const golden = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'golden', 'data', 'icc_photos.json'), 'utf8'),
);

test.each(['adobe.jpg', 'adobe.png'])(
  '%s decodes to the stored values, its ICC profile not applied',
  async (name) => {
    const image = await decodeImage(join(FIXTURES, 'icc_photos', name));
    const g = golden[name];
    expect([image.height, image.width, 3]).toEqual(g.stored.shape);
    expect(summarise(image.data)).toEqual(expected(g.stored));
    expect(g.converted.sha256).not.toBe(g.stored.sha256);
  },
);
