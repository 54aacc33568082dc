// `segc predict`: the model a run saved, applied to every image of a folder (no labels). Each image is
// decoded at its own size (sharp), resized to the plan's size on the GPU (bilinear, half-pixel centres:
// torch's interpolate with align_corners = False, rounded to u8), run through the evaluation plan, and its
// logits are resized back to the image's size on the GPU (bilinear) before the argmax: upsampling logits
// keeps smooth class boundaries where nearest-neighbour labels would be blocky, and at equal sizes both are
// the plan's own argmax. Writes OUT/<stem>.png: 0/255 in binary mode, class indices otherwise (a palette for
// VOC and Cityscapes), and for multilabel masks OUT/<stem>/<class>.png (0/255) for each channel with a
// positive pixel; with `overlay` also OUT/<stem>-overlay.png (the image with its classes tinted).
import { mkdirSync, readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { encode } from 'fast-png';
import { writeFileAtomic } from '../checkpoint/safetensors.ts';
import type { CompiledExperiment, Override } from '../../compiler/index.ts';
import { openDataset } from '../data/registry.ts';
import { decodeImage } from '../data/decode/image.ts';
import type { DecodedImage } from '../data/decode/image.ts';
import { DataError } from '../data/errors.ts';
import { isImage } from '../data/readers/files.ts';
import type { DevicePreference, OpenedDevice } from '../device.ts';
import { executePlan, readBuffer } from '../executor.ts';
import { encodeLabelPng, firstChannelMap, paletteOf, vocPalette } from './label-png.ts';
import { openSavedModel } from './saved-model.ts';
import { userError } from '../../diagnostics/index.ts';
import type { MessageCode } from '../../diagnostics/index.ts';
import { RunError } from './session.ts';

export interface PredictOptions {
  checkpoint: string;
  /** The folder of input images. */
  images: string;
  /** The folder the masks are written to (created). */
  out: string;
  /** Also write each image with its predicted classes tinted. */
  overlay?: boolean;
  last?: boolean;
  overrides?: Record<string, Override>;
  device?: DevicePreference | OpenedDevice;
  log?: (line: string) => void;
}

export interface Prediction {
  /** The input file and the mask written for it, with the input's size [H, W]. */
  image: string;
  /** The mask file (multilabel: the folder of the channels' masks). */
  mask: string;
  /** Multilabel: the channels' mask files written (channels without a positive pixel have none). */
  masks?: string[];
  size: [number, number];
  overlay?: string;
}

const WORKGROUP = 64;

/** Bilinear resize of each slot's RGB [h, w, 3] source to the plan's planar [3, H, W] u8 image input. */
const RESIZE_IMAGES = /* wgsl */ `
struct Params {
  slots: u32, channels: u32, height: u32, width: u32, classes: u32, binary: u32, p0: u32, p1: u32,
}
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> sources: array<u32>;
@group(0) @binding(2) var<storage, read> slot_info: array<u32>;
@group(0) @binding(3) var<storage, read_write> image: array<u32>;
fn source_byte(i: u32) -> f32 { return f32((sources[i >> 2u] >> ((i & 3u) * 8u)) & 255u); }
fn sample_at(slot: u32, c: u32, y: u32, x: u32) -> u32 {
  let offset = slot_info[slot * 4u];
  let h = slot_info[slot * 4u + 1u];
  let w = slot_info[slot * 4u + 2u];
  if (slot_info[slot * 4u + 3u] == 0u) { return 0u; }
  let sy = clamp((f32(y) + 0.5) * f32(h) / f32(u.height) - 0.5, 0.0, f32(h - 1u));
  let sx = clamp((f32(x) + 0.5) * f32(w) / f32(u.width) - 0.5, 0.0, f32(w - 1u));
  let y0 = u32(floor(sy));
  let x0 = u32(floor(sx));
  let y1 = min(y0 + 1u, h - 1u);
  let x1 = min(x0 + 1u, w - 1u);
  let fy = sy - f32(y0);
  let fx = sx - f32(x0);
  let at = offset + c;
  let top = mix(source_byte(at + (y0 * w + x0) * 3u), source_byte(at + (y0 * w + x1) * 3u), fx);
  let bottom = mix(source_byte(at + (y1 * w + x0) * 3u), source_byte(at + (y1 * w + x1) * 3u), fx);
  return u32(clamp(floor(mix(top, bottom, fy) + 0.5), 0.0, 255.0));
}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let plane = u.height * u.width;
  let total = u.slots * u.channels * plane;
  let word = id.x;
  if (word * 4u >= total) { return; }
  var packed = 0u;
  for (var j = 0u; j < 4u; j++) {
    let i = word * 4u + j;
    if (i < total) {
      let slot = i / (u.channels * plane);
      let c = (i / plane) % u.channels;
      let p = i % plane;
      packed = packed | (sample_at(slot, c, p / u.width, p % u.width) << (8u * j));
    }
  }
  image[word] = packed;
}`;

/** Each slot's logits [C, H, W] resized (bilinear) to its image's size, then the argmax as u8. */
const RESIZE_LOGITS = /* wgsl */ `
struct Params {
  slots: u32, channels: u32, height: u32, width: u32, classes: u32, binary: u32, words: u32, p1: u32,
}
// binary: 0 argmax over the classes, 1 the one channel's logit > 0, 2 (multilabel) channel p1's logit > 0.
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> slot_info: array<u32>;
@group(0) @binding(3) var<storage, read_write> masks: array<u32>;
fn logit(slot: u32, c: u32, y: u32, x: u32) -> f32 {
  return logits[((slot * u.classes + c) * u.height + y) * u.width + x];
}
fn label(slot: u32, y: u32, x: u32) -> u32 {
  let h = slot_info[slot * 4u + 1u];
  let w = slot_info[slot * 4u + 2u];
  let sy = clamp((f32(y) + 0.5) * f32(u.height) / f32(h) - 0.5, 0.0, f32(u.height - 1u));
  let sx = clamp((f32(x) + 0.5) * f32(u.width) / f32(w) - 0.5, 0.0, f32(u.width - 1u));
  let y0 = u32(floor(sy));
  let x0 = u32(floor(sx));
  let y1 = min(y0 + 1u, u.height - 1u);
  let x1 = min(x0 + 1u, u.width - 1u);
  let fy = sy - f32(y0);
  let fx = sx - f32(x0);
  var best = 0u;
  var top = -3.4e38;
  // Multilabel: channel p1 alone.
  let first = select(0u, u.p1, u.binary == 2u);
  let end = select(u.classes, u.p1 + 1u, u.binary == 2u);
  for (var c = first; c < end; c++) {
    let a = mix(logit(slot, c, y0, x0), logit(slot, c, y0, x1), fx);
    let b = mix(logit(slot, c, y1, x0), logit(slot, c, y1, x1), fx);
    let v = mix(a, b, fy);
    if (u.binary == 1u) { return select(0u, 255u, v > 0.0); }
    // Multilabel: thresholded (sigmoid > 0.5).
    if (u.binary == 2u) { return select(0u, 255u, v > 0.0); }
    if (v > top) { top = v; best = c; }
  }
  return best;
}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let word = id.x;
  if (word >= u.words) { return; }
  // The slot whose (word-aligned) region holds this word.
  var slot = 0u;
  for (var s = 0u; s < u.slots; s++) {
    if (slot_info[s * 4u + 3u] == 1u && slot_info[s * 4u] <= word * 4u) { slot = s; }
  }
  let offset = slot_info[slot * 4u];
  let h = slot_info[slot * 4u + 1u];
  let w = slot_info[slot * 4u + 2u];
  var packed = 0u;
  for (var j = 0u; j < 4u; j++) {
    let p = word * 4u + j - offset;
    if (p < h * w) { packed = packed | (label(slot, p / w, p % w) << (8u * j)); }
  }
  masks[word] = packed;
}`;

const align = (n: number) => Math.ceil(n / 4) * 4;

export async function predictFolder(file: string, options: PredictOptions): Promise<Prediction[]> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const inputs = listImages(options.images);
  const model = await openSavedModel(file, { ...options, what: 'predict', logits: true });
  const { opened, compiled, loaded } = model;
  const device = opened.device;
  try {
    const { batch } = compiled.config.train;
    const { height, width, channels } = compiled.shape;
    const classes = compiled.eval.binary ? 1 : compiled.config.data.classes;
    const multilabel = compiled.eval.multilabel ?? false;
    const plan = loaded.plan;
    const imageIndex = plan.buffers.findIndex((b) => b.name === 'input:image');
    const logitsOutput = plan.outputs.find((o) => o.name === 'logits');
    if (imageIndex < 0 || !logitsOutput || channels !== 3) throw userError('SEG6107', [compiled.spec.name]);
    const pipelines = await Promise.all(
      [RESIZE_IMAGES, RESIZE_LOGITS].map((code, i) =>
        device.createComputePipelineAsync({
          label: ['predict:resize_images', 'predict:resize_logits'][i],
          layout: 'auto',
          compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
        }),
      ),
    );
    mkdirSync(options.out, { recursive: true });
    const palette = compiled.eval.binary ? undefined : paletteOf(compiled.config.data.name);
    const planes = multilabel ? classes : 1;
    const labels = new Uint8Array(batch * planes * height * width).fill(compiled.shape.ignore);
    const names = multilabel ? classNames(compiled) : [];
    const written: Prediction[] = [];
    for (let first = 0; first < inputs.length; first += batch) {
      const files = inputs.slice(first, first + batch);
      const images = await Promise.all(files.map((f) => readImage(f)));
      const masks = await runBatch(device, pipelines, images, {
        slots: batch,
        height,
        width,
        classes,
        mode: multilabel ? 'multilabel' : compiled.eval.binary ? 'binary' : 'classes',
        run: () => executePlan(loaded, { uniforms: model.uniforms, inputs: { labels } }),
        imageBuffer: loaded.buffers[imageIndex],
        logitsBuffer: loaded.buffers[logitsOutput.buffer],
      });
      for (let i = 0; i < files.length; i++) {
        const { height: h, width: w } = images[i];
        const stem = basename(files[i], extname(files[i]));
        let entry: Prediction;
        if (multilabel) {
          // masks[i] holds the K channels' 0/255 maps one after the other.
          const folder = join(options.out, stem);
          mkdirSync(folder, { recursive: true });
          entry = { image: files[i], mask: folder, masks: [], size: [h, w] };
          for (let k = 0; k < classes; k++) {
            const plane = masks[i].subarray(k * h * w, (k + 1) * h * w);
            if (!plane.some((v) => v > 0)) continue;
            const path = join(folder, `${names[k] ?? k}.png`);
            await writeFileAtomic(path, encodeLabelPng(plane, h, w));
            entry.masks!.push(path);
          }
        } else {
          const mask = join(options.out, `${stem}.png`);
          await writeFileAtomic(mask, encodeLabelPng(masks[i], h, w, palette));
          entry = { image: files[i], mask, size: [h, w] };
        }
        if (options.overlay) {
          entry.overlay = join(options.out, `${stem}-overlay.png`);
          const shown = multilabel ? firstChannelMap(masks[i], classes, h * w, 255) : masks[i];
          await writeFileAtomic(entry.overlay, overlayPng(images[i], shown, compiled.eval.binary ?? false));
        }
        written.push(entry);
      }
    }
    log(`segc predict: ${written.length} masks from ${model.modelPath} in ${options.out}`);
    return written;
  } finally {
    if (!model.shared) device.destroy();
  }
}

/** The folder's images, sorted; two with one stem (a.png, a.jpg) would write one mask: an error. */
function listImages(folder: string): string[] {
  let names: string[];
  try {
    names = readdirSync(folder).filter(isImage).sort();
  } catch (error) {
    throw userError('SEG6108', [folder, (error as Error).message]);
  }
  if (names.length === 0) throw userError('SEG6109', [folder]);
  const stems = new Map<string, string>();
  for (const name of names) {
    const stem = basename(name, extname(name));
    if (stems.has(stem)) throw userError('SEG6110', [stems.get(stem)!, name, folder, stem]);
    stems.set(stem, name);
  }
  return names.map((n) => join(folder, n));
}

async function readImage(file: string): Promise<DecodedImage> {
  try {
    return await decodeImage(file);
  } catch (error) {
    throw error instanceof DataError
      ? new RunError(error.message, { code: error.code as MessageCode | undefined })
      : error;
  }
}

interface BatchShape {
  slots: number;
  height: number;
  width: number;
  classes: number;
  mode: 'classes' | 'binary' | 'multilabel';
  run: () => void;
  imageBuffer: GPUBuffer;
  logitsBuffer: GPUBuffer;
}

/** One batch on the GPU: resize in, the evaluation plan, resize out and argmax; the masks read back. */
async function runBatch(
  device: GPUDevice,
  [resizeImages, resizeLogits]: GPUComputePipeline[],
  images: DecodedImage[],
  shape: BatchShape,
): Promise<Uint8Array[]> {
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const buffer = (data: ArrayBufferView, usage = storage) => {
    const b = device.createBuffer({ size: Math.max(16, align(data.byteLength)), usage });
    device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, align(data.byteLength));
    return b;
  };
  // The sources, each at a 4-byte aligned offset; per slot [offset, h, w, present].
  const sourceMeta = new Uint32Array(shape.slots * 4);
  let bytes = 0;
  images.forEach((image, slot) => {
    sourceMeta.set([bytes, image.height, image.width, 1], slot * 4);
    bytes += align(image.data.length);
  });
  const sources = new Uint8Array(Math.max(4, bytes));
  images.forEach((image, slot) => sources.set(image.data, sourceMeta[slot * 4]));
  const maskMeta = new Uint32Array(shape.slots * 4);
  let maskBytes = 0;
  images.forEach((image, slot) => {
    maskMeta.set([maskBytes, image.height, image.width, 1], slot * 4);
    maskBytes += align(image.height * image.width);
  });
  const mode = { classes: 0, binary: 1, multilabel: 2 }[shape.mode];
  const params = (words: number, channel = 0) =>
    buffer(
      Uint32Array.from([shape.slots, 3, shape.height, shape.width, shape.classes, mode, words, channel]),
      GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    );
  const words = maskBytes / 4;
  const created = [
    params(0),
    buffer(sources),
    buffer(sourceMeta),
    params(words),
    buffer(maskMeta),
    device.createBuffer({ size: Math.max(16, maskBytes), usage: storage }),
  ];
  const [inParams, sourceBuffer, sourceMetaBuffer, outParams, maskMetaBuffer, maskBuffer] = created;
  const dispatch = (pipeline: GPUComputePipeline, bindings: GPUBuffer[], threads: number) => {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    const entries = bindings.map((b, binding) => ({ binding, resource: { buffer: b } }));
    pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
    pass.dispatchWorkgroups(Math.max(1, Math.ceil(threads / WORKGROUP)));
    pass.end();
    device.queue.submit([encoder.finish()]);
  };
  const imageWords = Math.ceil((shape.slots * 3 * shape.height * shape.width) / 4);
  dispatch(resizeImages, [inParams, sourceBuffer, sourceMetaBuffer, shape.imageBuffer], imageWords);
  shape.run();
  // Multilabel: one pass per channel, each slot's K maps joined in channel order.
  const channels = shape.mode === 'multilabel' ? shape.classes : 1;
  const maps: Uint8Array[][] = images.map(() => []);
  for (let k = 0; k < channels; k++) {
    const channelParams = k === 0 ? outParams : params(words, k);
    dispatch(resizeLogits, [channelParams, shape.logitsBuffer, maskMetaBuffer, maskBuffer], words);
    const data = new Uint8Array((await readBuffer(device, maskBuffer)).buffer);
    if (k > 0) channelParams.destroy();
    images.forEach((image, slot) => {
      const offset = maskMeta[slot * 4];
      maps[slot].push(data.slice(offset, offset + image.height * image.width));
    });
  }
  for (const b of created) b.destroy();
  return maps.map((planes) => (planes.length === 1 ? planes[0] : concatBytes(planes)));
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

/**
 * The channels' names as the experiment's dataset lists them (Retinal Lesions' classes.txt); the channel
 * indices when the dataset is not at hand where predictions are made.
 */
function classNames(compiled: CompiledExperiment): string[] {
  try {
    return openDataset(compiled.config.data.name, compiled.config.data.options).classNames ?? [];
  } catch {
    return [];
  }
}

/** The image with each predicted foreground class tinted half-way to its colour (VOC's colours). */
function overlayPng(image: DecodedImage, mask: Uint8Array, binary: boolean): Uint8Array {
  const colours = vocPalette();
  const out = new Uint8Array(image.data.length);
  for (let p = 0; p < mask.length; p++) {
    const cls = binary ? (mask[p] > 0 ? 1 : 0) : mask[p];
    for (let c = 0; c < 3; c++) {
      const v = image.data[p * 3 + c];
      out[p * 3 + c] = cls === 0 ? v : Math.round((v + colours[cls][c]) / 2);
    }
  }
  return encode({ width: image.width, height: image.height, data: out, channels: 3, depth: 8 });
}
