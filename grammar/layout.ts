// Layouts → text: a Wadler/Prettier-style pretty printer (groups print flat when they fit the width, else
// broken; fills pack items per line) plus line-comment primitives. Used by format.ts and doc.ts.

/** What to print: text, line breaks and the groups that decide between flat and broken layout. */
export type Layout = string | Layout[] | LayoutNode;

type LayoutNode =
  | { kind: 'line'; hard: boolean }
  | { kind: 'indent'; contents: Layout }
  | { kind: 'align'; contents: Layout }
  | { kind: 'group'; contents: Layout; broken: boolean }
  | { kind: 'fill'; parts: Layout[] }
  | { kind: 'ifBreak'; broken: Layout; flat: Layout }
  | { kind: 'lineSuffix'; text: string }
  | { kind: 'ownLine'; text: string };

/** A space when flat, a newline when broken. */
export const line: Layout = { kind: 'line', hard: false };
/** Always a newline; breaks every enclosing group. */
export const hardline: Layout = { kind: 'line', hard: true };

/** Contents indented by two more spaces after each newline. */
export const indent = (contents: Layout): Layout => ({ kind: 'indent', contents });
/** Contents whose newlines return to the column where they start (continuation lines under a bracket). */
export const align = (contents: Layout): Layout => ({ kind: 'align', contents });
/** Flat if it fits on the rest of the line (and `broken` is false), else broken. */
export const group = (contents: Layout, broken = false): Layout => ({ kind: 'group', contents, broken });
/** `[item, separator, item, ...]`: each separator breaks only when the next item does not fit. */
export const fill = (parts: Layout[]): Layout => ({ kind: 'fill', parts });
/** `broken` inside a broken group, `flat` inside a flat one. */
export const ifBreak = (broken: Layout, flat: Layout): Layout => ({ kind: 'ifBreak', broken, flat });
/** A trailing `// comment`: printed at the end of the current line; the code after it starts a new line. */
export const lineSuffix = (text: string): Layout => ({ kind: 'lineSuffix', text });
/** A `// comment` on a line of its own, wherever it falls (code after it starts a new line). */
export const ownLine = (text: string): Layout => ({ kind: 'ownLine', text });

type Mode = 'flat' | 'break';

interface Command {
  indent: number;
  mode: Mode;
  layout: Layout;
}

/** Prints a layout so lines stay within `width` columns where the groups allow it. */
export function render(layout: Layout, width: number): string {
  propagateBreaks(layout);
  const out: string[] = [];
  let column = 0;
  let lineIndent = 0;
  let suffixes: string[] = [];
  let breakNextLine = false;
  // The indentation of the line after a comment: that of the code around the comment.
  let breakIndent = 0;
  let blankBefore = false;
  let commentOnLine = false;
  const newline = (indentation: number) => {
    // A suffix on an otherwise empty line (the second trailing comment before a break) loses its space.
    if (suffixes.length > 0 && column === lineIndent) suffixes[0] = suffixes[0].trimStart();
    out.push(...suffixes);
    const emptyLine = column === lineIndent && suffixes.length === 0;
    suffixes = [];
    trimTrailingSpaces(out);
    // Never two empty lines in a row.
    if (!(emptyLine && blankBefore)) out.push('\n');
    blankBefore = emptyLine;
    commentOnLine = false;
    out.push(' '.repeat(indentation));
    column = indentation;
    lineIndent = indentation;
    breakNextLine = false;
  };
  const stack: Command[] = [{ indent: 0, mode: 'break', layout }];
  while (stack.length > 0) {
    const { indent: ind, mode, layout: current } = stack.pop() as Command;
    if (typeof current === 'string') {
      // After a trailing comment the code that followed it starts a new line (spaces before it are dropped).
      if (breakNextLine && current.length > 0) {
        if (current.trim() === '') continue;
        newline(breakIndent);
      }
      out.push(current);
      column += current.length;
      continue;
    }
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ indent: ind, mode, layout: current[i] });
      continue;
    }
    switch (current.kind) {
      case 'indent':
        stack.push({ indent: ind + 2, mode, layout: current.contents });
        break;
      case 'align':
        stack.push({ indent: column, mode, layout: current.contents });
        break;
      case 'group': {
        const flat: Command = { indent: ind, mode: 'flat', layout: current.contents };
        const useFlat =
          !current.broken && (mode === 'flat' || fits(flat, stack, width - column, false, width));
        stack.push(useFlat ? flat : { indent: ind, mode: 'break', layout: current.contents });
        break;
      }
      case 'fill':
        stack.push(...fillCommands(current.parts, ind, mode, stack, width - column, width));
        break;
      case 'ifBreak':
        stack.push({ indent: ind, mode, layout: mode === 'break' ? current.broken : current.flat });
        break;
      case 'lineSuffix':
        // A trailing comment after another comment with no code between them goes on a line of its own.
        if (suffixes.length > 0 || commentOnLine) newline(ind);
        suffixes.push(current.text);
        breakNextLine = true;
        breakIndent = ind;
        break;
      case 'ownLine':
        if (column > lineIndent || suffixes.length > 0) newline(ind);
        out.push(current.text);
        column += current.text.length;
        breakNextLine = true;
        breakIndent = ind;
        commentOnLine = true;
        break;
      case 'line':
        if (mode === 'flat' && !current.hard && !breakNextLine) {
          out.push(' ');
          column += 1;
        } else {
          newline(ind);
        }
        break;
    }
  }
  out.push(...suffixes);
  trimTrailingSpaces(out);
  return out.join('');
}

/**
 * The commands for the first item and separator of a fill, then the rest of the fill (Prettier's algorithm).
 */
function fillCommands(
  parts: Layout[],
  ind: number,
  mode: Mode,
  rest: Command[],
  width: number,
  lineWidth: number,
): Command[] {
  if (parts.length === 0) return [];
  const [content, separator, second] = parts;
  const flat = (layout: Layout): Command => ({ indent: ind, mode: 'flat', layout });
  const broken = (layout: Layout): Command => ({ indent: ind, mode: 'break', layout });
  // The last item is measured with what follows the fill (a closing bracket, ` {`) up to the next break.
  const contentFits = fits(flat(content), parts.length <= 2 ? rest : [], width, true, lineWidth);
  const contentCommand = contentFits ? flat(content) : broken(content);
  if (parts.length === 1) return [contentCommand];
  if (parts.length === 2) return [contentFits ? flat(separator) : broken(separator), contentCommand];
  const remaining: Command = { indent: ind, mode, layout: fill(parts.slice(2)) };
  const pair = [content, separator, second];
  const pairFits = fits(flat(pair), parts.length <= 4 ? rest : [], width, true, lineWidth);
  return [remaining, pairFits ? flat(separator) : broken(separator), contentCommand];
}

/**
 * Whether `next` fits in the `width` columns left on the line, followed by `rest` up to its first line break.
 * After a comment the measure restarts on the next line (`lineWidth` columns less the indentation).
 */
function fits(
  next: Command,
  rest: Command[],
  width: number,
  mustBeFlat: boolean,
  lineWidth: number,
): boolean {
  const todo: Array<Command & { flatOnly: boolean }> = [{ ...next, flatOnly: mustBeFlat }];
  let restIndex = rest.length;
  let remaining = width;
  while (remaining >= 0) {
    const item = todo.pop();
    if (item === undefined) {
      if (restIndex === 0) return true;
      todo.push({ ...rest[--restIndex], flatOnly: false });
      continue;
    }
    const { indent: ind, mode, layout, flatOnly } = item;
    const push = (inner: Layout, innerMode = mode, innerIndent = ind) =>
      todo.push({ indent: innerIndent, mode: innerMode, layout: inner, flatOnly });
    if (typeof layout === 'string') {
      remaining -= layout.length;
    } else if (Array.isArray(layout)) {
      for (let i = layout.length - 1; i >= 0; i--) push(layout[i]);
    } else {
      switch (layout.kind) {
        case 'indent':
          push(layout.contents, mode, ind + 2);
          break;
        case 'align':
          push(layout.contents, mode, lineWidth - remaining);
          break;
        case 'group':
          if (flatOnly && layout.broken) return false;
          push(layout.contents, layout.broken ? 'break' : mode);
          break;
        case 'fill':
          for (let i = layout.parts.length - 1; i >= 0; i--) push(layout.parts[i]);
          break;
        case 'ifBreak':
          push(mode === 'break' ? layout.broken : layout.flat);
          break;
        case 'lineSuffix':
        case 'ownLine':
          remaining = lineWidth - ind;
          break;
        case 'line':
          if (mode === 'break' || layout.hard) return !flatOnly || !layout.hard;
          remaining -= 1;
          break;
      }
    }
  }
  return false;
}

/**
 * Marks every group holding a hard line as broken; returns whether `layout` holds one. Comments break no
 * group: the printer itself starts a new line after them, so `f(a, // why` keeps the rest of the call packed.
 */
function propagateBreaks(layout: Layout): boolean {
  if (typeof layout === 'string') return false;
  if (Array.isArray(layout)) return layout.map(propagateBreaks).some(Boolean);
  switch (layout.kind) {
    case 'line':
      return layout.hard;
    case 'indent':
    case 'align':
      return propagateBreaks(layout.contents);
    case 'group': {
      const hard = propagateBreaks(layout.contents);
      layout.broken ||= hard;
      return hard;
    }
    case 'fill':
      return layout.parts.map(propagateBreaks).some(Boolean);
    case 'ifBreak':
      return [propagateBreaks(layout.broken), propagateBreaks(layout.flat)].some(Boolean);
    default:
      return false;
  }
}

function trimTrailingSpaces(out: string[]): void {
  while (out.length > 0) {
    const last = out[out.length - 1];
    const trimmed = last.replace(/ +$/, '');
    if (trimmed.length > 0) {
      out[out.length - 1] = trimmed;
      return;
    }
    out.pop();
  }
}
