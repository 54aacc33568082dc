// Reads and writes the safetensors format: u64 little-endian header length, a JSON header padded with
// spaces to a multiple of 8, then the raw little-endian tensor bytes.
// Decoding validates everything and reports bad bytes as errors naming the source, never crashes.
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeBoundary } from './write-boundary.ts';

export type DType = 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8';

/** F16 and BF16 are kept as their raw 16-bit patterns (runtime/weights/ converts them). */
export type TensorData = Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

export interface TensorEntry {
  dtype: DType;
  shape: number[];
  data: TensorData;
}

export interface SafetensorsContents {
  tensors: Record<string, TensorEntry>;
  metadata: Record<string, string>;
}

interface DTypeInfo {
  itemSize: number;
  create: (buffer: ArrayBuffer) => TensorData;
  matches: (data: TensorData) => boolean;
}

const DTYPES: Record<DType, DTypeInfo> = {
  F32: { itemSize: 4, create: (b) => new Float32Array(b), matches: (d) => d instanceof Float32Array },
  F64: { itemSize: 8, create: (b) => new Float64Array(b), matches: (d) => d instanceof Float64Array },
  F16: { itemSize: 2, create: (b) => new Uint16Array(b), matches: (d) => d instanceof Uint16Array },
  BF16: { itemSize: 2, create: (b) => new Uint16Array(b), matches: (d) => d instanceof Uint16Array },
  I64: { itemSize: 8, create: (b) => new BigInt64Array(b), matches: (d) => d instanceof BigInt64Array },
  I32: { itemSize: 4, create: (b) => new Int32Array(b), matches: (d) => d instanceof Int32Array },
  U8: { itemSize: 1, create: (b) => new Uint8Array(b), matches: (d) => d instanceof Uint8Array },
};

const METADATA_KEY = '__metadata__';
/** Same limit as the reference Rust implementation: headers above 100 MB are rejected. */
const MAX_HEADER_BYTES = 100_000_000;
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, value);
}

function requireLittleEndian(): void {
  if (!HOST_IS_LITTLE_ENDIAN) throw new Error('safetensors: big-endian hosts are not supported');
}

function elementCount(shape: number[]): number {
  return shape.reduce((product, extent) => product * extent, 1);
}

function isValidShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((extent) => Number.isSafeInteger(extent) && extent >= 0);
}

/** Encodes tensors (sorted by name, data in the same order) and optional string metadata. */
export function encodeSafetensors(
  tensors: Record<string, TensorEntry>,
  metadata?: Record<string, string>,
): Uint8Array {
  requireLittleEndian();
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    const sortedMetadata: Record<string, string> = {};
    for (const key of Object.keys(metadata).sort()) {
      if (typeof metadata[key] !== 'string') {
        throw new Error(`safetensors: metadata value for '${key}' must be a string`);
      }
      sortedMetadata[key] = metadata[key];
    }
    header[METADATA_KEY] = sortedMetadata;
  }
  let offset = 0;
  for (const name of names) {
    const { dtype, shape, data } = tensors[name];
    if (name === METADATA_KEY || name.length === 0) {
      throw new Error(`safetensors: invalid tensor name '${name}'`);
    }
    if (!isDType(dtype)) throw new Error(`safetensors: tensor '${name}' has unknown dtype '${dtype}'`);
    if (!DTYPES[dtype].matches(data)) {
      throw new Error(`safetensors: tensor '${name}' data is ${data.constructor.name}, not dtype ${dtype}`);
    }
    if (!isValidShape(shape)) {
      throw new Error(`safetensors: tensor '${name}' has invalid shape ${JSON.stringify(shape)}`);
    }
    if (elementCount(shape) !== data.length) {
      const needed = elementCount(shape);
      const got = data.length;
      throw new Error(`safetensors: tensor '${name}' shape [${shape}] needs ${needed} elements, got ${got}`);
    }
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + headerLength + offset);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const name of names) {
    const data = tensors[name].data;
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
    position += data.byteLength;
  }
  return bytes;
}

interface PendingTensor {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/** Decodes and validates a safetensors buffer; every error message starts with `source`. */
export function decodeSafetensors(bytes: Uint8Array, source = '<safetensors bytes>'): SafetensorsContents {
  requireLittleEndian();
  const fail = (message: string): never => {
    throw new Error(`${source}: ${message}`);
  };
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declaredLength = view.getBigUint64(0, true);
  // A safetensors header is a JSON object: anything else after the length field is another kind of file,
  // which a header length read from its first bytes would only describe as nonsense.
  if (bytes.length > 8 && bytes[8] !== 0x7b) {
    fail('not a safetensors file (no JSON header after the 8-byte length field)');
  }
  if (declaredLength > BigInt(bytes.length - 8)) {
    fail(
      `header length ${declaredLength} exceeds the ${bytes.length - 8} bytes after the length field ` +
        '(file truncated, or not a safetensors file)',
    );
  }
  if (declaredLength > BigInt(MAX_HEADER_BYTES)) fail(`header length ${declaredLength} exceeds 100 MB`);
  const headerLength = Number(declaredLength);
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    fail('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail('header does not start with a JSON object');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    fail(`header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail('header is not a JSON object');
  }
  const entries = header as Record<string, unknown>;
  const metadata = readMetadata(entries[METADATA_KEY], fail);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const pending: PendingTensor[] = [];
  for (const [name, entry] of Object.entries(entries)) {
    if (name === METADATA_KEY) continue;
    pending.push(readTensorHeader(name, entry, fail));
  }
  pending.sort((first, second) => first.begin - second.begin || first.end - second.end);
  let expectedBegin = 0;
  for (const tensor of pending) {
    if (tensor.begin !== expectedBegin) {
      const problem = tensor.begin < expectedBegin ? 'overlaps another tensor' : 'leaves a gap before it';
      fail(`tensor '${tensor.name}' data_offsets [${tensor.begin}, ${tensor.end}] ${problem}`);
    }
    if (tensor.end > dataLength) {
      const where = `data_offsets end ${tensor.end} is past the ${dataLength} data bytes`;
      fail(`tensor '${tensor.name}' ${where} (file truncated?)`);
    }
    expectedBegin = tensor.end;
  }
  if (expectedBegin !== dataLength) {
    fail(`tensors cover ${expectedBegin} data bytes but the file has ${dataLength} (truncated or extra)`);
  }
  const tensors: Record<string, TensorEntry> = {};
  const sorted = [...pending].sort((first, second) => (first.name < second.name ? -1 : 1));
  for (const { name, dtype, shape, begin, end } of sorted) {
    // A copy is aligned for its typed array and independent of the input buffer. (Not `bytes.slice`: on a
    // Node Buffer that is a view into a shared pool, whose `.buffer` is the whole pool.)
    const copy = new Uint8Array(bytes.subarray(dataStart + begin, dataStart + end));
    tensors[name] = { dtype, shape, data: DTYPES[dtype].create(copy.buffer) };
  }
  return { tensors, metadata };
}

function readMetadata(value: unknown, fail: (message: string) => never): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) fail(`'${METADATA_KEY}' is not an object`);
  const metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    if (typeof entry !== 'string') fail(`'${METADATA_KEY}' value for '${key}' is not a string`);
    metadata[key] = entry as string;
  }
  return metadata;
}

function readTensorHeader(name: string, entry: unknown, fail: (message: string) => never): PendingTensor {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    fail(`tensor '${name}' header entry is not an object`);
  }
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string') fail(`tensor '${name}' has no dtype`);
  if (!isDType(dtype)) fail(`tensor '${name}' has unsupported dtype '${dtype}'`);
  if (!isValidShape(shape)) fail(`tensor '${name}' has invalid shape ${JSON.stringify(shape)}`);
  const validOffsets =
    Array.isArray(offsets) &&
    offsets.length === 2 &&
    offsets.every((offset) => Number.isSafeInteger(offset) && offset >= 0);
  if (!validOffsets) fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`tensor '${name}' data_offsets [${begin}, ${end}] end before begin`);
  const typedDType = dtype as DType;
  const typedShape = shape as number[];
  const expectedBytes = elementCount(typedShape) * DTYPES[typedDType].itemSize;
  if (end - begin !== expectedBytes) {
    fail(
      `tensor '${name}' has ${end - begin} data bytes but shape [${typedShape}] of ${typedDType} ` +
        `needs ${expectedBytes}`,
    );
  }
  return { name, dtype: typedDType, shape: typedShape, begin, end };
}

/** The temporary files writeFileAtomic writes next to their target (left behind only by a killed process). */
export const TEMPORARY = /\.tmp-\d+-[0-9a-f]{12}$/;

/** Writes `path.tmp-<pid>-<random>`, fsyncs, renames it over `path`: readers never see a partial file. */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let renamed = false;
  try {
    writeBoundary({ path, stage: 'open' });
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    writeBoundary({ path, stage: 'rename' });
    await rename(temporary, path);
    renamed = true;
    await syncDirectory(dirname(path));
  } finally {
    if (!renamed) await unlink(temporary).catch(() => undefined);
  }
}

/** Best effort: persists the rename itself; some platforms cannot open directories. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not supported here (e.g. Windows); the file contents are already synced.
  }
}

export async function writeSafetensorsFile(
  path: string,
  tensors: Record<string, TensorEntry>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

export async function readSafetensorsFile(path: string): Promise<SafetensorsContents> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new Error(`${path}: cannot read safetensors file (${(error as Error).message})`);
  }
  return decodeSafetensors(bytes, path);
}
