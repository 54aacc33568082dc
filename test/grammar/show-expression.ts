// Test helper: prints an AST expression as a compact S-expression, e.g. `(+ a f[C](b))`.
import type { Expression } from '../../grammar/index.ts';

/** Compact S-expression of an expression, for structural assertions. */
export function show(e: Expression): string {
  switch (e.kind) {
    case 'number':
      return String(e.value);
    case 'string':
      return JSON.stringify(e.value);
    case 'boolean':
      return String(e.value);
    case 'name':
      return e.name;
    case 'list':
      return `[${e.elements.map(show).join(' ')}]`;
    case 'binary':
      return `(${e.operator} ${show(e.left)} ${show(e.right)})`;
    case 'unary':
      return `(${e.operator} ${show(e.operand)})`;
    case 'call': {
      const axes = e.axes ? `[${e.axes.map((a) => a.name).join(',')}]` : '';
      const args = e.args.map((a) => (a.name ? `${a.name.name}=${show(a.value)}` : show(a.value)));
      return `${e.callee.name}${axes}(${args.join(' ')})`;
    }
    case 'index':
      if (e.slice) {
        const start = e.slice.start ? show(e.slice.start) : '';
        const end = e.slice.end ? show(e.slice.end) : '';
        return `${show(e.target)}[${start}:${end}]`;
      }
      return `${show(e.target)}[${e.index ? show(e.index) : ''}]`;
    case 'member':
      return `${show(e.target)}.${e.member.name}`;
  }
}
