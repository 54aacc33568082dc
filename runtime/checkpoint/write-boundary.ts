// The points where a run folder's files change on disk (a temporary file opened, renamed over its target, a
// line appended), each announced to an optional hook: tests inject faults there (a full disk at the Nth
// write, a kill between two writes) instead of filling disks or relying on timing.

export interface WriteBoundary {
  /** The file being written (its final name, not the temporary one). */
  path: string;
  /** 'open': before its temporary file is written; 'rename': written and synced, not renamed; 'append'. */
  stage: 'open' | 'rename' | 'append';
}

export type WriteHook = (boundary: WriteBoundary) => void;

let hook: WriteHook | undefined;

/** Installs (or, with undefined, removes) the hook; it may throw as a failed write would. */
export function setWriteHook(next: WriteHook | undefined): void {
  hook = next;
}

export function writeBoundary(boundary: WriteBoundary): void {
  hook?.(boundary);
}
