// The IR printer, its grammar in docs/ir.md: printGraph/printNode give the canonical text of a graph, one op
// per line in ANF with its named-dim type and source position (segc graph); describeNode gives the one-line
// form of a node in kernel headers (segc wgsl).
import type { Graph, Node } from './types.ts';

function attrText(node: Node): string {
  const entries = Object.entries(node.attrs).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries
    .map(
      ([k, v]) =>
        `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : typeof v === 'string' ? JSON.stringify(v) : v}`,
    )
    .join(' ');
}

export function printNode(node: Node): string {
  const type = `${node.type.dtype}[${node.type.dims.map((d) => `${d.name}=${d.size}`).join(',')}]`;
  const operands = node.inputs.map((i) => `%${i}`).join(' ');
  const attrs = attrText(node);
  const where = node.span ? `  // ${node.span.file.split('/').pop()}:${node.span.line}:${node.span.col}` : '';
  const operandsText = operands ? ` ${operands}` : '';
  const attrsText = attrs ? ` {${attrs}}` : '';
  return `%${node.id}: ${type} = ${node.op}${operandsText}${attrsText}${where}`;
}

/** Prints the nodes the outputs need, then the outputs. Deterministic for a given graph. */
export function printGraph(graph: Graph, live?: Set<number>): string {
  const lines = graph.nodes.filter((n) => !live || live.has(n.id)).map(printNode);
  for (const o of graph.outputs) lines.push(`output ${o.role} ${JSON.stringify(o.name)} = %${o.node}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The one-line form of a node in kernel headers (`// fuses: ...`): `%id = op(%a, %b, key=value)`, attributes
 * sorted by key, lists as `[a,b]`, strings unquoted; no type or position (the header's `from:` line has
 * them).
 */
export function describeNode(node: Node): string {
  const attrs = Object.entries(node.attrs)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : v}`);
  const args = node.inputs
    .map((i) => `%${i}`)
    .concat(attrs)
    .join(', ');
  return `%${node.id} = ${node.op}(${args})`;
}
