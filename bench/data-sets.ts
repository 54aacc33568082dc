// Small datasets in two upstream layouts, generated deterministically for the data benchmarks
// (data-throughput.ts, loader-step.ts): real photo content (Debian's labelme-examples photos, resized and
// tiled by sharp: flat colours would decode unrealistically fast), written once into a folder under /tmp and
// reused while its stamp matches.
// - retinal_lesions: 896×896 JPEGs (a 2×2 photo mosaic in a disc on black, as a fundus photo; quality 95,
//   4:2:0, baseline, as PIL writes them; about 250 kB) with one grey PNG per lesion present (0 background,
//   blobs at 255 and at 127; about 3 of 8 per image), classes.txt and split lists.
// - cityscapes: 1024×2048 RGB PNGs (adaptive filtering as libpng writes them; about 2.3 MB, as real
//   leftImg8bit PNGs) with labelTrainIds PNGs (nearest-seed regions of trainIds 0-18 and 255).
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

export const LABELME_VOC = '/usr/share/doc/labelme-examples/examples/semantic_segmentation/data_dataset_voc';

const LESIONS = [
  'microaneurysm',
  'retinal_hemorrhage',
  'hard_exudate',
  'cotton_wool_spots',
  'vitreous_hemorrhage',
  'preretinal_hemorrhage',
  'neovascularization',
  'fibrous_proliferation',
];

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const photos = () =>
  readdirSync(join(LABELME_VOC, 'JPEGImages'))
    .sort()
    .map((n) => join(LABELME_VOC, 'JPEGImages', n));

/** An [h, w] RGB tile of photo `k`, resized to cover it and mirrored on odd k. */
async function tile(k: number, h: number, w: number): Promise<Buffer> {
  const files = photos();
  let image = sharp(files[k % files.length]).resize(w, h, { fit: 'cover', position: k % 5 });
  if (k % 2 === 1) image = image.flop();
  return image.removeAlpha().raw().toBuffer();
}

/** A rows × cols grid of photo tiles, [h, w, 3] raw. */
async function mosaic(first: number, h: number, w: number, rows: number, cols: number): Promise<Buffer> {
  const th = h / rows;
  const tw = w / cols;
  const tiles = await Promise.all(Array.from({ length: rows * cols }, (_, k) => tile(first + k, th, tw)));
  return sharp({ create: { width: w, height: h, channels: 3, background: '#000' } })
    .composite(
      tiles.map((input, k) => ({
        input,
        raw: { width: tw, height: th, channels: 3 as const },
        top: Math.floor(k / cols) * th,
        left: (k % cols) * tw,
      })),
    )
    .removeAlpha()
    .raw()
    .toBuffer();
}

/** A grey [h, w] mask of `count` ellipses at 255 (a third of them at 127). */
function blobs(next: () => number, h: number, w: number, count: number): Uint8Array {
  const mask = new Uint8Array(h * w);
  for (let b = 0; b < count; b++) {
    const cy = next() * h;
    const cx = next() * w;
    const ry = 3 + next() * 40;
    const rx = 3 + next() * 40;
    const value = b % 3 === 2 ? 127 : 255;
    for (let y = Math.max(0, Math.floor(cy - ry)); y < Math.min(h, cy + ry); y++) {
      for (let x = Math.max(0, Math.floor(cx - rx)); x < Math.min(w, cx + rx); x++) {
        if (((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1) mask[y * w + x] = value;
      }
    }
  }
  return mask;
}

const grey = (data: Uint8Array, h: number, w: number) =>
  sharp(data, { raw: { width: w, height: h, channels: 1 } })
    .toColourspace('b-w')
    .png({ adaptiveFiltering: true });

/** Writes `root` once per stamp (what and how many); returns root. */
async function once(root: string, stamp: string, write: () => Promise<void>): Promise<string> {
  const file = join(root, '.stamp');
  if (existsSync(file) && readFileSync(file, 'utf8') === stamp) return root;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  await write();
  writeFileSync(file, stamp);
  return root;
}

/** retinal_lesions layout: `count` 896×896 JPEGs with their lesion PNGs; train = all, val = the first 2. */
export async function retinalSet(
  count: number,
  root = `/tmp/segc-bench-data/retinal_lesions_${count}`,
): Promise<string> {
  return once(root, `retinal v2 ${count}`, async () => {
    const S = 896;
    mkdirSync(join(root, 'images_896x896'));
    writeFileSync(
      join(root, 'classes.txt'),
      LESIONS.map((n) => `${n},${n.slice(0, 2).toUpperCase()}`).join('\n'),
    );
    const ids = Array.from({ length: count }, (_, i) => `${String(100 + i)}_right`);
    for (const [i, id] of ids.entries()) {
      const raw = await mosaic(i, S, S, 2, 2);
      // A fundus photo's black surround: outside a centred disc.
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          if ((y - S / 2 + 0.5) ** 2 + (x - S / 2 + 0.5) ** 2 > (0.47 * S) ** 2)
            raw.fill(0, (y * S + x) * 3, (y * S + x) * 3 + 3);
        }
      }
      await sharp(raw, { raw: { width: S, height: S, channels: 3 } })
        .jpeg({ quality: 95, chromaSubsampling: '4:2:0' })
        .toFile(join(root, 'images_896x896', `${id}.jpg`));
      const dir = join(root, 'lesion_segs_896x896', id);
      mkdirSync(dir, { recursive: true });
      const next = random(1000 + i);
      for (const lesion of LESIONS) {
        if (next() > 0.4) continue; // about 3 of the 8 lesions present per image
        await grey(blobs(next, S, S, 2 + Math.floor(next() * 12)), S, S).toFile(join(dir, `${lesion}.png`));
      }
    }
    writeFileSync(join(root, 'train.txt'), ids.join('\n') + '\n');
    writeFileSync(join(root, 'val.txt'), ids.slice(0, 2).join('\n') + '\n');
  });
}

/** labelTrainIds: nearest-of-seeds regions over classes 0-18, some 255 (ignored), at a quarter resolution. */
function trainIds(next: () => number, h: number, w: number): Uint8Array {
  const seeds = Array.from({ length: 48 }, (_, k) => ({
    y: next() * h,
    x: next() * w,
    c: k % 9 === 8 ? 255 : Math.floor(next() * 19),
  }));
  const labels = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let best = Infinity;
      for (const s of seeds) {
        const d = (s.y - y) ** 2 + (s.x - x) ** 2;
        if (d < best) {
          best = d;
          labels[y * w + x] = s.c;
        }
      }
    }
  }
  return labels;
}

/** cityscapes layout: `count` 1024×2048 training PNGs (2 cities) and 2 validation ones, with their labels. */
export async function cityscapesSet(
  count: number,
  root = `/tmp/segc-bench-data/cityscapes_${count}`,
): Promise<string> {
  return once(root, `cityscapes v3 ${count}`, async () => {
    const [H, W] = [1024, 2048];
    const next = random(7);
    const write = async (split: string, city: string, i: number) => {
      const base = `${city}_000000_${String(i).padStart(6, '0')}_`;
      const images = join(root, 'leftImg8bit', split, city);
      const labels = join(root, 'gtFine', split, city);
      mkdirSync(images, { recursive: true });
      mkdirSync(labels, { recursive: true });
      const raw = await mosaic(i, H, W, 1, 2);
      await sharp(raw, { raw: { width: W, height: H, channels: 3 } })
        .png({ adaptiveFiltering: true })
        .toFile(join(images, `${base}leftImg8bit.png`));
      const quarter = trainIds(next, H / 4, W / 4);
      await sharp(quarter, { raw: { width: W / 4, height: H / 4, channels: 1 } })
        .resize(W, H, { kernel: 'nearest' })
        .toColourspace('b-w')
        .png({ adaptiveFiltering: true })
        .toFile(join(labels, `${base}gtFine_labelTrainIds.png`));
    };
    for (let i = 0; i < count; i++) await write('train', i % 2 ? 'bremen' : 'aachen', i);
    for (let i = 0; i < 2; i++) await write('val', 'frankfurt', count + i);
  });
}
