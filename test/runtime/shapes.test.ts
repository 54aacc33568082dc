// The synthetic shapes dataset: determinism, label range, foreground fraction, class coverage and geometry.
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../runtime/data/random.ts';
import { drawShape, generateShapes, shapeContains, type Shape } from '../../runtime/data/shapes.ts';

const base = { size: [32, 48] as [number, number], classes: 4, foreground: 0.1, count: 8, seed: 7 };

function foregroundFraction(labels: Uint8Array): number {
  let foreground = 0;
  for (const label of labels) if (label !== 0) foreground++;
  return foreground / labels.length;
}

describe('createRandom', () => {
  it('is deterministic, in range and roughly standard normal', () => {
    const first = createRandom(3);
    const second = createRandom(3);
    const samples: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const value = first.next();
      expect(value).toBe(second.next());
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
      samples.push(first.normal());
      second.normal();
    }
    const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
    const variance = samples.reduce((sum, value) => sum + (value - mean) ** 2, 0) / samples.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(variance - 1)).toBeLessThan(0.15);
    expect(createRandom(4).next()).not.toBe(createRandom(3).next());
    for (let i = 0; i < 100; i++) expect(first.int(5)).toBeLessThan(5);
  });
});

describe('generateShapes', () => {
  it('is byte-identical for the same seed and differs for another seed', () => {
    const first = generateShapes(base);
    const second = generateShapes(base);
    expect(Buffer.from(first.images).equals(Buffer.from(second.images))).toBe(true);
    expect(Buffer.from(first.labels).equals(Buffer.from(second.labels))).toBe(true);
    const other = generateShapes({ ...base, seed: 8 });
    expect(Buffer.from(first.images).equals(Buffer.from(other.images))).toBe(false);
    expect(Buffer.from(first.labels).equals(Buffer.from(other.labels))).toBe(false);
  });

  it('has the documented layout and labels within range', () => {
    const set = generateShapes(base);
    expect(set).toMatchObject({ count: 8, channels: 3, height: 32, width: 48, classes: 4 });
    expect(set.images.length).toBe(8 * 3 * 32 * 48);
    expect(set.labels.length).toBe(8 * 32 * 48);
    for (const label of set.labels) expect(label).toBeLessThan(4);
  });

  for (const foreground of [0.05, 0.2]) {
    it(`averages about ${foreground} foreground over 64 images`, () => {
      const set = generateShapes({ size: [64, 64], classes: 5, foreground, count: 64, seed: 11 });
      const fraction = foregroundFraction(set.labels);
      expect(fraction).toBeGreaterThan(foreground * 0.6);
      expect(fraction).toBeLessThan(foreground * 1.4);
    });
  }

  it('uses every foreground class, including the cycled ones', () => {
    const set = generateShapes({ size: [32, 32], classes: 8, foreground: 0.15, count: 64, seed: 5 });
    const seen = new Set(set.labels);
    for (let classIndex = 0; classIndex < 8; classIndex++) expect(seen.has(classIndex)).toBe(true);
  });

  it('colours shapes apart from the grey background', () => {
    // Class 1 is red-ish: its pixels have more red than green on average; background is near grey.
    const set = generateShapes({ size: [64, 64], classes: 2, foreground: 0.2, count: 16, seed: 2 });
    const plane = 64 * 64;
    let redMinusGreen = 0;
    let pixels = 0;
    for (let image = 0; image < set.count; image++) {
      for (let pixel = 0; pixel < plane; pixel++) {
        if (set.labels[image * plane + pixel] !== 1) continue;
        const red = set.images[image * 3 * plane + pixel];
        const green = set.images[image * 3 * plane + plane + pixel];
        redMinusGreen += red - green;
        pixels++;
      }
    }
    expect(pixels).toBeGreaterThan(0);
    expect(redMinusGreen / pixels).toBeGreaterThan(60);
  });

  it('names the invalid option', () => {
    expect(() => generateShapes({ ...base, classes: 1 })).toThrow(/classes/);
    expect(() => generateShapes({ ...base, classes: 9 })).toThrow(/classes/);
    expect(() => generateShapes({ ...base, size: [4, 32] })).toThrow(/size/);
    expect(() => generateShapes({ ...base, size: [32, 2048] })).toThrow(/size/);
    expect(() => generateShapes({ ...base, foreground: 0 })).toThrow(/foreground/);
    expect(() => generateShapes({ ...base, foreground: 0.6 })).toThrow(/foreground/);
    expect(() => generateShapes({ ...base, count: 0 })).toThrow(/count/);
  });
});

describe('drawShape', () => {
  it('paints exactly the pixels whose centres lie inside a disc', () => {
    const disc: Shape = { kind: 'disc', classIndex: 1, centerX: 5, centerY: 5, radius: 2 };
    const painted: string[] = [];
    const count = drawShape(disc, 10, 10, (y, x) => painted.push(`${y},${x}`));
    // Pixel centres (x+0.5, y+0.5) within distance 2 of (5, 5): the 4×4 block 3..6 minus its corners.
    const expected: string[] = [];
    for (let y = 3; y <= 6; y++) {
      for (let x = 3; x <= 6; x++) {
        const corner = (y === 3 || y === 6) && (x === 3 || x === 6);
        if (!corner) expected.push(`${y},${x}`);
      }
    }
    expect(count).toBe(12);
    expect(painted.sort()).toEqual(expected.sort());
    for (const cell of painted) {
      const [y, x] = cell.split(',').map(Number);
      expect((x + 0.5 - 5) ** 2 + (y + 0.5 - 5) ** 2).toBeLessThanOrEqual(4);
    }
  });

  it('clips at the border and matches shapeContains for every kind', () => {
    for (const kind of ['disc', 'square', 'triangle', 'ring', 'cross', 'diamond', 'ellipse'] as const) {
      const shape: Shape = { kind, classIndex: 1, centerX: 1.3, centerY: 6.2, radius: 4.5 };
      const painted = new Set<number>();
      drawShape(shape, 8, 9, (y, x) => {
        expect(y >= 0 && y < 8 && x >= 0 && x < 9).toBe(true);
        painted.add(y * 9 + x);
      });
      expect(painted.size).toBeGreaterThan(0);
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 9; x++) {
          expect(painted.has(y * 9 + x)).toBe(shapeContains(shape, x + 0.5, y + 0.5));
        }
      }
    }
  });
});
