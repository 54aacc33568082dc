// Folder listing for the readers: sorted names, split lists and stems, each missing path named with the
// option that led to it.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { dataError, optionText } from '../errors.ts';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.bmp', '.webp'];

export const isImage = (name: string) => IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());

/** The file name without its extension ('a.nii.gz' → 'a'). */
export const stem = (name: string) =>
  basename(name)
    .replace(/\.nii\.gz$/i, '')
    .replace(/\.[^.]*$/, '');

/** `root` itself must be a folder. */
export function requireRoot(root: string, option = optionText('root', root)): void {
  if (!existsSync(root)) throw dataError('SEG6020', [root], root, option);
  if (!statSync(root).isDirectory()) throw dataError('SEG6021', [root], root, option);
}

/** The sorted names in a folder (files only), named with the option when the folder is missing. */
export function listFiles(
  folder: string,
  option: string,
  keep: (name: string) => boolean = isImage,
): string[] {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw dataError('SEG6022', [folder], folder, option);
  }
  return readdirSync(folder, { withFileTypes: true })
    .filter((e) => e.isFile() && keep(e.name))
    .map((e) => e.name)
    .sort();
}

/** The sorted sub-folder names of a folder. */
export function listFolders(folder: string, option: string): string[] {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw dataError('SEG6022', [folder], folder, option);
  }
  return readdirSync(folder, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** The non-empty, trimmed lines of a list file (sample ids or file names). */
export function readList(file: string, option: string): string[] {
  if (!existsSync(file)) throw dataError('SEG6023', [file], file, option);
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** The one file in `names` (sorted) whose stem is `id`, or undefined. */
export function byStem(names: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const name of names) if (!map.has(stem(name))) map.set(stem(name), name);
  return map;
}

export const joinAll = (folder: string, names: string[]) => names.map((n) => join(folder, n));
