// Figures to pictures without a browser: Vega-Lite compiles to Vega, Vega renders SVG headless in Node, resvg
// turns the SVG into PNG (with the system's fonts).
// Vega and Vega-Lite are loaded by the first figure, not by every start of segc (about 0.3 s).
import { Resvg } from '@resvg/resvg-js';
import type * as Vega from 'vega';
import type { compile as Compile } from 'vega-lite';
import type { Figure } from './figures.ts';

let vegaModules: Promise<[typeof Vega, { compile: typeof Compile }]> | undefined;

export async function figureSvg(figure: Figure): Promise<string> {
  const [vega, { compile }] = await (vegaModules ??= Promise.all([import('vega'), import('vega-lite')]));
  const spec = figure.lite ? compile(figure.spec as Parameters<typeof Compile>[0]).spec : figure.spec;
  const view = new vega.View(vega.parse(spec as Vega.Spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    background: 'white',
  });
  return resvg.render().asPng();
}
