// The synthetic `shapes` segmentation dataset: textured grey backgrounds with 1-3 coloured shapes whose
// class sets both geometry and base hue, so a tiny U-Net learns it in a few dozen Adam steps.
// Deterministic per seed: the same options always give byte-identical images and labels.
import { createRandom, type Random } from './random.ts';
import { optionProblems } from '../../compiler/index.ts';
import { quote, userError } from '../../diagnostics/index.ts';

export interface ShapesOptions {
  size: [number, number];
  classes: number;
  foreground: number;
  count: number;
  seed: number;
}

export interface SegmentationSet {
  /** [count, 3, H, W] planar RGB. */
  images: Uint8Array;
  /** [count, H, W] class index; 255 = ignore (never produced here). */
  labels: Uint8Array;
  count: number;
  channels: 3;
  height: number;
  width: number;
  classes: number;
}

export type ShapeKind = 'disc' | 'square' | 'triangle' | 'ring' | 'cross' | 'diamond' | 'ellipse';

/** Geometry of foreground class c is SHAPE_KINDS[(c - 1) % SHAPE_KINDS.length]. */
export const SHAPE_KINDS: readonly ShapeKind[] = [
  'disc',
  'square',
  'triangle',
  'ring',
  'cross',
  'diamond',
  'ellipse',
];

/** Base hue in degrees of foreground class c is CLASS_HUES[(c - 1) % CLASS_HUES.length]. */
export const CLASS_HUES: readonly number[] = [0, 120, 240, 60, 300, 180, 30];

/** Inner radius of a ring as a fraction of its outer radius. */
const RING_INNER = 0.55;

/** Area of each kind divided by radius squared (radius = half the bounding-box width). */
const AREA_PER_RADIUS_SQUARED: Record<ShapeKind, number> = {
  disc: Math.PI,
  square: 4,
  triangle: 2,
  ring: Math.PI * (1 - RING_INNER ** 2),
  cross: 20 / 9,
  diamond: 2,
  ellipse: Math.PI / 2,
};

export interface Shape {
  kind: ShapeKind;
  /** Label written for covered pixels. */
  classIndex: number;
  /** Centre in pixel coordinates; pixel (y, x) has its centre at (x + 0.5, y + 0.5). */
  centerX: number;
  centerY: number;
  /** Half the bounding-box width (the ellipse is half as tall as it is wide). */
  radius: number;
}

/** Whether the point (px, py), in continuous pixel coordinates, lies inside the shape. */
export function shapeContains(shape: Shape, px: number, py: number): boolean {
  const r = shape.radius;
  const dx = px - shape.centerX;
  const dy = py - shape.centerY;
  switch (shape.kind) {
    case 'disc':
      return dx * dx + dy * dy <= r * r;
    case 'square':
      return Math.abs(dx) <= r && Math.abs(dy) <= r;
    case 'triangle': {
      // Apex at the top centre, base along the bottom of the bounding box.
      if (dy < -r || dy > r) return false;
      const halfWidth = (dy + r) / 2;
      return Math.abs(dx) <= halfWidth;
    }
    case 'ring': {
      const distanceSquared = dx * dx + dy * dy;
      const inner = r * RING_INNER;
      return distanceSquared <= r * r && distanceSquared >= inner * inner;
    }
    case 'cross': {
      const arm = r / 3;
      const inBox = Math.abs(dx) <= r && Math.abs(dy) <= r;
      return inBox && (Math.abs(dx) <= arm || Math.abs(dy) <= arm);
    }
    case 'diamond':
      return Math.abs(dx) + Math.abs(dy) <= r;
    case 'ellipse': {
      const halfHeight = r / 2;
      return (dx * dx) / (r * r) + (dy * dy) / (halfHeight * halfHeight) <= 1;
    }
  }
}

/**
 * Visits every pixel of a height × width grid whose centre is inside the shape, clipped to the grid.
 * Returns how many pixels were visited.
 */
export function drawShape(
  shape: Shape,
  height: number,
  width: number,
  paint: (y: number, x: number) => void,
): number {
  const r = shape.radius;
  const left = Math.max(0, Math.floor(shape.centerX - r - 1));
  const right = Math.min(width - 1, Math.ceil(shape.centerX + r + 1));
  const top = Math.max(0, Math.floor(shape.centerY - r - 1));
  const bottom = Math.min(height - 1, Math.ceil(shape.centerY + r + 1));
  let painted = 0;
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) {
      if (shapeContains(shape, x + 0.5, y + 0.5)) {
        paint(y, x);
        painted++;
      }
    }
  }
  return painted;
}

/**
 * Options out of the catalogue's ranges (compiler/config/data.ts, the `shapes` entry) are a UserError naming
 * the option; the catalogue's are the only ranges, so a dataset `segc check` accepts is always generated.
 * `count` is a split's image count: the catalogue's `train` and `val`.
 */
export function validateShapesOptions(options: ShapesOptions): void {
  const { size, classes, foreground, count, seed } = options;
  const problems = [
    ...optionProblems('dataset', 'shapes', { size, classes, foreground, seed }),
    ...optionProblems('dataset', 'shapes', { train: count }).map((p) => ({ ...p, option: 'count' })),
  ];
  const [first] = problems;
  if (first) throw userError('SEG5080', ['shapes', quote(first.option), first.expected, first.got]);
}

export function generateShapes(options: ShapesOptions): SegmentationSet {
  validateShapesOptions(options);
  const [height, width] = options.size;
  const { count, classes } = options;
  const plane = height * width;
  const images = new Uint8Array(count * 3 * plane);
  const labels = new Uint8Array(count * plane);
  const random = createRandom(options.seed);
  const pixels = new Float32Array(3 * plane);
  for (let index = 0; index < count; index++) {
    const imageLabels = labels.subarray(index * plane, (index + 1) * plane);
    paintBackground(pixels, height, width, random);
    const shapes = placeShapes(height, width, classes, options.foreground, random);
    for (const shape of shapes) paintShape(pixels, imageLabels, height, width, shape, random);
    const image = images.subarray(index * 3 * plane, (index + 1) * 3 * plane);
    for (let i = 0; i < pixels.length; i++) image[i] = clampByte(pixels[i]);
  }
  return { images, labels, count, channels: 3, height, width, classes };
}

/** Mid-grey base colour, a smooth low-frequency field (bilinear over a coarse grid) and per-pixel noise. */
function paintBackground(pixels: Float32Array, height: number, width: number, random: Random): void {
  const plane = height * width;
  const grey = 95 + 60 * random.next();
  const gridRows = 5;
  const gridColumns = 5;
  for (let channel = 0; channel < 3; channel++) {
    const base = grey + 8 * random.normal();
    const grid = new Float64Array(gridRows * gridColumns);
    for (let i = 0; i < grid.length; i++) grid[i] = 18 * random.normal();
    for (let y = 0; y < height; y++) {
      const gy = (y / Math.max(1, height - 1)) * (gridRows - 1);
      const row = Math.min(gridRows - 2, Math.floor(gy));
      const fy = gy - row;
      for (let x = 0; x < width; x++) {
        const gx = (x / Math.max(1, width - 1)) * (gridColumns - 1);
        const column = Math.min(gridColumns - 2, Math.floor(gx));
        const fx = gx - column;
        const top = grid[row * gridColumns + column] * (1 - fx) + grid[row * gridColumns + column + 1] * fx;
        const bottom =
          grid[(row + 1) * gridColumns + column] * (1 - fx) + grid[(row + 1) * gridColumns + column + 1] * fx;
        const smooth = top * (1 - fy) + bottom * fy;
        pixels[channel * plane + y * width + x] = base + smooth + 7 * random.normal();
      }
    }
  }
}

/** Chooses 1-3 shapes whose areas sum to about foreground × H × W, avoiding overlap where it can. */
function placeShapes(
  height: number,
  width: number,
  classes: number,
  foreground: number,
  random: Random,
): Shape[] {
  const shapeCount = 1 + random.int(3);
  const totalArea = foreground * height * width * (0.75 + 0.5 * random.next());
  const weights = Array.from({ length: shapeCount }, () => 0.5 + random.next());
  const weightSum = weights.reduce((sum, weight) => sum + weight, 0);
  const shapes: Shape[] = [];
  for (let i = 0; i < shapeCount; i++) {
    const classIndex = 1 + random.int(classes - 1);
    const kind = SHAPE_KINDS[(classIndex - 1) % SHAPE_KINDS.length];
    const area = (totalArea * weights[i]) / weightSum;
    const radius = Math.max(1, Math.sqrt(area / AREA_PER_RADIUS_SQUARED[kind]));
    let best: Shape | undefined;
    let bestOverlap = Infinity;
    for (let attempt = 0; attempt < 8 && bestOverlap > 0; attempt++) {
      const centerX = placeCoordinate(width, radius, random);
      const centerY = placeCoordinate(height, radius, random);
      const candidate: Shape = { kind, classIndex, centerX, centerY, radius };
      const overlap = shapes.reduce((sum, other) => sum + boxOverlap(candidate, other), 0);
      if (overlap < bestOverlap) {
        best = candidate;
        bestOverlap = overlap;
      }
    }
    shapes.push(best!);
  }
  return shapes;
}

/** A centre that keeps most of the shape inside [0, extent); shapes larger than the image are centred. */
function placeCoordinate(extent: number, radius: number, random: Random): number {
  const margin = Math.min(0.8 * radius, extent / 2);
  return margin + (extent - 2 * margin) * random.next();
}

function boxOverlap(first: Shape, second: Shape): number {
  const overlapX =
    Math.min(first.centerX + first.radius, second.centerX + second.radius) -
    Math.max(first.centerX - first.radius, second.centerX - second.radius);
  const overlapY =
    Math.min(first.centerY + first.radius, second.centerY + second.radius) -
    Math.max(first.centerY - first.radius, second.centerY - second.radius);
  return Math.max(0, overlapX) * Math.max(0, overlapY);
}

/** Fills the shape with its class hue (jittered), a slight shading gradient and per-pixel noise. */
function paintShape(
  pixels: Float32Array,
  labels: Uint8Array,
  height: number,
  width: number,
  shape: Shape,
  random: Random,
): void {
  const plane = height * width;
  const hue = CLASS_HUES[(shape.classIndex - 1) % CLASS_HUES.length] + 14 * (random.next() - 0.5);
  const saturation = 0.65 + 0.25 * random.next();
  const value = 0.7 + 0.25 * random.next();
  const colour = hsvToRgb(hue, saturation, value);
  const shadeX = (10 * random.normal()) / Math.max(1, shape.radius);
  const shadeY = (10 * random.normal()) / Math.max(1, shape.radius);
  drawShape(shape, height, width, (y, x) => {
    const pixel = y * width + x;
    const shade = shadeX * (x + 0.5 - shape.centerX) + shadeY * (y + 0.5 - shape.centerY);
    for (let channel = 0; channel < 3; channel++) {
      pixels[channel * plane + pixel] = colour[channel] + shade + 9 * random.normal();
    }
    labels[pixel] = shape.classIndex;
  });
}

/** Hue in degrees, saturation and value in [0, 1]; returns RGB in [0, 255]. */
function hsvToRgb(hue: number, saturation: number, value: number): [number, number, number] {
  const h = (((hue % 360) + 360) % 360) / 60;
  const chroma = value * saturation;
  const second = chroma * (1 - Math.abs((h % 2) - 1));
  const sector = Math.floor(h);
  const table: [number, number, number][] = [
    [chroma, second, 0],
    [second, chroma, 0],
    [0, chroma, second],
    [0, second, chroma],
    [second, 0, chroma],
    [chroma, 0, second],
  ];
  const [r, g, b] = table[Math.min(5, sector)];
  const offset = value - chroma;
  return [(r + offset) * 255, (g + offset) * 255, (b + offset) * 255];
}

function clampByte(value: number): number {
  return Math.max(0, Math.min(255, Math.round(value)));
}
