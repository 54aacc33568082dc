// A tiny interpreter of TextMate grammar rules (match, begin/end, captures with patterns, include) for tests.
// Regexes run as JS RegExps, an approximation of Oniguruma that holds for the constructs the .seg grammar
// uses. Like vscode-textmate: the earliest match wins, ties go to the end pattern, then to the first rule
// listed.

export interface Capture {
  name?: string;
  patterns?: Rule[];
}

export interface Rule {
  include?: string;
  match?: string;
  begin?: string;
  end?: string;
  name?: string;
  contentName?: string;
  captures?: Record<string, Capture>;
  beginCaptures?: Record<string, Capture>;
  endCaptures?: Record<string, Capture>;
  patterns?: Rule[];
}

export interface Grammar extends Rule {
  scopeName: string;
  repository?: Record<string, Rule>;
}

export interface Token {
  text: string;
  /** Offset in its line. */
  start: number;
  scopes: string[];
}

interface Frame {
  rule: Rule;
  /** Scopes of the text inside the rule (its name and contentName included). */
  scopes: string[];
  /** Scopes of the begin and end matches (its name, not its contentName). */
  outer: string[];
}

interface Candidate {
  rule: Rule;
  kind: 'match' | 'begin' | 'end';
  found: RegExpExecArray;
}

const compiled = new Map<string, RegExp>();

function regex(source: string): RegExp {
  let re = compiled.get(source);
  if (re === undefined) {
    re = new RegExp(source, 'dg');
    compiled.set(source, re);
  }
  return re;
}

function search(source: string, line: string, from: number): RegExpExecArray | null {
  const re = regex(source);
  re.lastIndex = from;
  return re.exec(line);
}

export class Tokenizer {
  private stack: Frame[];

  constructor(private readonly grammar: Grammar) {
    this.stack = [this.root()];
  }

  private root(): Frame {
    return { rule: { patterns: this.grammar.patterns }, scopes: [this.grammar.scopeName], outer: [] };
  }

  /** Open begin/end rules after the last line tokenised (1 at the top level). */
  get depth(): number {
    return this.stack.length;
  }

  /** The match and begin rules that `rules` stand for, includes resolved (each repository rule once). */
  private expand(rules: Rule[] | undefined, seen = new Set<Rule>()): Rule[] {
    const result: Rule[] = [];
    for (const rule of rules ?? []) {
      let target: Rule | undefined = rule;
      if (rule.include !== undefined) {
        if (rule.include === '$self' || rule.include === '$base') {
          target = { patterns: this.grammar.patterns };
        } else if (rule.include.startsWith('#')) {
          target = this.grammar.repository?.[rule.include.slice(1)];
          if (target === undefined) throw new Error(`unknown include ${rule.include}`);
        } else {
          throw new Error(`unsupported include ${rule.include}`);
        }
      }
      if (seen.has(target)) continue;
      if (target.match !== undefined || target.begin !== undefined) {
        result.push(target);
      } else {
        seen.add(target);
        result.push(...this.expand(target.patterns, seen));
      }
    }
    return result;
  }

  tokenizeLine(line: string): Token[] {
    const scopes: string[][] = Array.from({ length: line.length }, () => []);
    this.run(line, 0, line.length, scopes, this.stack);
    return merge(line, scopes);
  }

  /** Tokenises line[from, to) with the given rule stack, writing each character's scopes. */
  private run(line: string, from: number, to: number, scopes: string[][], stack: Frame[]): void {
    const text = line.slice(0, to);
    // pos === to is scanned too, so zero-length end patterns (`$`, `(?<=\})`) close rules at the end of a
    // line.
    for (let pos = from; pos <= to;) {
      const frame = stack[stack.length - 1];
      let best: Candidate | undefined;
      const consider = (rule: Rule, kind: Candidate['kind'], source: string) => {
        const found = search(source, text, pos);
        if (found && (best === undefined || found.index < best.found.index)) best = { rule, kind, found };
      };
      if (frame.rule.end !== undefined) consider(frame.rule, 'end', frame.rule.end);
      for (const rule of this.expand(frame.rule.patterns)) {
        consider(rule, rule.match !== undefined ? 'match' : 'begin', (rule.match ?? rule.begin)!);
      }
      const found = best?.found;
      if (
        best === undefined ||
        found === undefined ||
        (found[0].length === 0 && best.kind !== 'end' && pos === to)
      ) {
        fill(scopes, pos, to, frame.scopes);
        return;
      }
      const { rule, kind } = best;
      const start = found.index;
      const end = start + found[0].length;
      fill(scopes, pos, start, frame.scopes);
      if (kind !== 'end' && end === start) {
        throw new Error(
          `zero-length match of ${rule.match ?? rule.begin} at ${start} in ${JSON.stringify(line)}`,
        );
      }
      const outer = rule.name ? [...frame.scopes, rule.name] : frame.scopes;
      if (kind === 'end') {
        this.captures(line, found, frame.outer, rule.endCaptures ?? rule.captures, scopes);
        stack.pop();
        if (stack.length === 0) throw new Error('popped the root frame');
      } else if (kind === 'match') {
        this.captures(line, found, outer, rule.captures, scopes);
      } else {
        this.captures(line, found, outer, rule.beginCaptures ?? rule.captures, scopes);
        stack.push({ rule, outer, scopes: rule.contentName ? [...outer, rule.contentName] : outer });
      }
      pos = end;
    }
  }

  /** Scopes of a match: `outer` everywhere, then each capture's name and sub-patterns over its range. */
  private captures(
    line: string,
    found: RegExpExecArray,
    outer: string[],
    captures: Record<string, Capture> | undefined,
    scopes: string[][],
  ): void {
    const start = found.index;
    const end = start + found[0].length;
    fill(scopes, start, end, outer);
    const indices = found.indices ?? [];
    for (let group = 0; group < indices.length; group++) {
      const range = indices[group];
      const capture = captures?.[String(group)];
      if (range === undefined || capture === undefined) continue;
      const [from, to] = range;
      if (capture.name) {
        for (let i = from; i < to; i++) scopes[i] = [...scopes[i], capture.name];
      }
      if (capture.patterns && to > from) {
        const base = scopes[from];
        const frame: Frame = { rule: { patterns: capture.patterns }, scopes: base, outer: base };
        const sub: string[][] = scopes.map((s) => [...s]);
        this.run(line.slice(0, to), from, to, sub, [frame]);
        for (let i = from; i < to; i++) scopes[i] = sub[i];
      }
    }
  }
}

function fill(scopes: string[][], from: number, to: number, value: string[]): void {
  for (let i = from; i < to; i++) scopes[i] = value;
}

function merge(line: string, scopes: string[][]): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < line.length; i++) {
    const last = tokens[tokens.length - 1];
    if (last && last.scopes.join(' ') === scopes[i].join(' ')) {
      last.text += line[i];
    } else {
      tokens.push({ text: line[i], start: i, scopes: scopes[i] });
    }
  }
  return tokens;
}

/** Every regex source in a grammar (match, begin, end), with a path for messages. */
export function grammarRegexes(node: unknown, path = '$'): { path: string; source: string }[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => grammarRegexes(item, `${path}[${i}]`));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) =>
    ['match', 'begin', 'end'].includes(key) && typeof value === 'string'
      ? [{ path: `${path}.${key}`, source: value }]
      : grammarRegexes(value, `${path}.${key}`),
  );
}
