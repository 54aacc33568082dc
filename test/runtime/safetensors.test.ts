// safetensors: round trips, hand-written golden bytes per the format spec, and corrupt inputs named by file.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensorsFile,
  writeFileAtomic,
  writeSafetensorsFile,
  type TensorEntry,
} from '../../runtime/checkpoint/safetensors.ts';

function ascii(text: string): number[] {
  return [...text].map((character) => character.charCodeAt(0));
}

function lengthPrefix(length: number): number[] {
  return [length, 0, 0, 0, 0, 0, 0, 0];
}

const sample: Record<string, TensorEntry> = {
  weight: { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, 1e-7, -1e30]) },
  running: { dtype: 'F64', shape: [3], data: new Float64Array([Math.PI, -0, 1e-300]) },
  step: { dtype: 'I64', shape: [], data: new BigInt64Array([123456789012345n]) },
  index: { dtype: 'I32', shape: [2, 2], data: new Int32Array([-1, 2, 2147483647, -2147483648]) },
  mask: { dtype: 'U8', shape: [5], data: new Uint8Array([0, 1, 255, 7, 9]) },
  empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
};

describe('encode and decode', () => {
  it('round-trips every dtype, scalars and empty tensors, with metadata', () => {
    const bytes = encodeSafetensors(sample, { format: 'segc', epoch: '3' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const { tensors, metadata } = decodeSafetensors(bytes, 'sample.safetensors');
    expect(metadata).toEqual({ format: 'segc', epoch: '3' });
    expect(Object.keys(tensors)).toEqual(Object.keys(sample).sort());
    for (const [name, entry] of Object.entries(sample)) {
      expect(tensors[name].dtype).toBe(entry.dtype);
      expect(tensors[name].shape).toEqual(entry.shape);
      expect(tensors[name].data.constructor).toBe(entry.data.constructor);
      expect(Array.from(tensors[name].data as ArrayLike<number | bigint>)).toEqual(
        Array.from(entry.data as ArrayLike<number | bigint>),
      );
    }
    expect(Object.is(tensors.running.data[1], -0)).toBe(true);
  });

  it('is deterministic regardless of insertion order', () => {
    const reversed = Object.fromEntries(Object.entries(sample).reverse());
    const forward = Buffer.from(encodeSafetensors(sample));
    expect(Buffer.from(encodeSafetensors(reversed)).equals(forward)).toBe(true);
  });

  it('encodes a tiny file to exactly the bytes the format specifies', () => {
    const bytes = encodeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  ';
    const expected = [...lengthPrefix(56), ...ascii(header), 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40];
    expect(Array.from(bytes)).toEqual(expected);
  });

  it('decodes a file laid out like PyTorch safetensors writes it (metadata, I64 first, scalar)', () => {
    const header =
      '{"__metadata__":{"format":"pt"},' +
      '"step":{"dtype":"I64","shape":[],"data_offsets":[0,8]},' +
      '"weight":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}      ';
    const bytes = new Uint8Array([
      ...lengthPrefix(152),
      ...ascii(header),
      3,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x80,
      0x3f,
      0,
      0,
      0,
      0xc0,
    ]);
    const { tensors, metadata } = decodeSafetensors(bytes, 'torch.safetensors');
    expect(metadata).toEqual({ format: 'pt' });
    expect(tensors.step).toEqual({ dtype: 'I64', shape: [], data: new BigInt64Array([3n]) });
    expect(tensors.weight).toEqual({ dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) });
  });

  it('rejects tensors whose data does not match dtype or shape', () => {
    expect(() => encodeSafetensors({ x: { dtype: 'F64', shape: [1], data: new Float32Array(1) } })).toThrow(
      /'x'.*F64/,
    );
    expect(() => encodeSafetensors({ x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(
      /'x'.*3 elements/,
    );
  });
});

describe('corrupt input', () => {
  const good = encodeSafetensors(sample, { format: 'segc' });
  const headerLength = Number(new DataView(good.buffer).getBigUint64(0, true));

  function withHeader(header: string, data: number[] = []): Uint8Array {
    const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
    return new Uint8Array([...lengthPrefix(padded.length), ...ascii(padded), ...data]);
  }

  const cases: [string, Uint8Array, RegExp][] = [
    ['empty file', new Uint8Array(0), /too short/],
    ['header length past the end', good.slice(0, 20), /header length/],
    ['huge header length', new Uint8Array([255, 255, 255, 255, 255, 255, 255, 255, 0x7b]), /header length/],
    // A text file: its first 8 bytes read as a header length of 7021991845529153390.
    ['a file of another kind', new Uint8Array(ascii('not a model, just text')), /not a safetensors file/],
    ['truncated data', good.slice(0, good.length - 3), /truncated/],
    ['trailing bytes', new Uint8Array([...good, 1, 2]), /truncated or extra/],
    ['cut inside the header', good.slice(0, 8 + headerLength - 20), /header length/],
    ['invalid JSON', withHeader('{"a": '), /not valid JSON/],
    ['not an object', withHeader('[1, 2]'), /not a safetensors file/],
    ['invalid UTF-8', new Uint8Array([...lengthPrefix(8), 0x7b, 0xff, 0xfe, 0x7d, 32, 32, 32, 32]), /UTF-8/],
    [
      'unknown dtype',
      withHeader('{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}', [0, 0, 0, 0, 0, 0, 0, 0]),
      /C64/,
    ],
    ['bad shape', withHeader('{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}', [0]), /shape/],
    ['bad offsets', withHeader('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}', [0]), /data_offsets/],
    [
      'size mismatch',
      withHeader('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]),
      /needs 8/,
    ],
    [
      'offsets past the end',
      withHeader('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}', [0]),
      /past the 1 data bytes/,
    ],
    [
      'overlapping tensors',
      withHeader(
        '{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},' +
          '"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}',
        [0, 0, 0],
      ),
      /overlaps/,
    ],
    [
      'gap between tensors',
      withHeader(
        '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},' +
          '"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}',
        [0, 0, 0],
      ),
      /gap/,
    ],
    ['metadata not strings', withHeader('{"__metadata__":{"epoch":3}}'), /__metadata__/],
    ['entry not an object', withHeader('{"a":7}'), /'a'.*not an object/],
  ];

  for (const [label, bytes, pattern] of cases) {
    it(`reports ${label} with the source name`, () => {
      let message = '';
      try {
        decodeSafetensors(bytes, 'runs/bad.safetensors');
      } catch (error) {
        expect(error).toBeInstanceOf(Error);
        message = (error as Error).message;
      }
      expect(message.startsWith('runs/bad.safetensors: ')).toBe(true);
      expect(message).toMatch(pattern);
    });
  }

  it('never crashes on any truncation or single-byte corruption', () => {
    for (let length = 0; length < good.length; length++) {
      expect(() => decodeSafetensors(good.slice(0, length), 'cut')).toThrow(/^cut: /);
    }
    for (let position = 0; position < 8 + headerLength; position++) {
      const corrupt = good.slice();
      corrupt[position] ^= 0x5a;
      try {
        decodeSafetensors(corrupt, 'flip');
      } catch (error) {
        expect((error as Error).message).toMatch(/^flip: /);
      }
    }
  });
});

describe('files', () => {
  let directory = '';
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'segc-safetensors-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('reads every dtype back from a file with its exact values (Node Buffers are pooled views)', async () => {
    const path = join(directory, 'all.safetensors');
    const tensors = {
      a: { dtype: 'I64' as const, shape: [3], data: BigInt64Array.from([0n, 2n, 255n]) },
      b: { dtype: 'F32' as const, shape: [2], data: Float32Array.from([1.5, -2]) },
      c: { dtype: 'F64' as const, shape: [1], data: Float64Array.from([Math.PI]) },
    };
    await writeSafetensorsFile(path, tensors);
    const read = (await readSafetensorsFile(path)).tensors;
    expect(Array.from(read.a.data as BigInt64Array)).toEqual([0n, 2n, 255n]);
    expect(Array.from(read.b.data as Float32Array)).toEqual([1.5, -2]);
    expect(Array.from(read.c.data as Float64Array)).toEqual([Math.PI]);
    await rm(path);
  });

  it('writes atomically and reads back, leaving no temporary files', async () => {
    const path = join(directory, 'model.safetensors');
    await writeSafetensorsFile(path, sample, { format: 'segc' });
    await writeSafetensorsFile(path, { mask: sample.mask });
    const { tensors } = await readSafetensorsFile(path);
    expect(Object.keys(tensors)).toEqual(['mask']);
    await writeFileAtomic(join(directory, 'notes.txt'), 'hello');
    expect(await readFile(join(directory, 'notes.txt'), 'utf8')).toBe('hello');
    expect((await readdir(directory)).sort()).toEqual(['model.safetensors', 'notes.txt']);
  });

  it('names the file in read errors', async () => {
    const path = join(directory, 'truncated.safetensors');
    await writeFile(path, encodeSafetensors(sample).slice(0, 40));
    await expect(readSafetensorsFile(path)).rejects.toThrow(new RegExp(`^${path}: `));
    const missing = join(directory, 'missing.safetensors');
    await expect(readSafetensorsFile(missing)).rejects.toThrow(new RegExp(`^${missing}: cannot read`));
  });

  it('cleans up the temporary file when the write fails', async () => {
    const path = join(directory, 'no-such-directory', 'x.safetensors');
    await expect(writeFileAtomic(path, 'data')).rejects.toThrow();
    expect((await readdir(directory)).some((name) => name.includes('.tmp-'))).toBe(false);
  });
});
