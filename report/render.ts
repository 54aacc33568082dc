// Figures to pictures without a browser: Vega-Lite compiles to Vega, Vega renders SVG headless in Node, resvg
// turns the SVG into PNG (with the system's fonts).
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { Figure } from './figures.ts';

export async function figureSvg(figure: Figure): Promise<string> {
  const spec = figure.lite ? compile(figure.spec as Parameters<typeof compile>[0]).spec : figure.spec;
  const view = new vega.View(vega.parse(spec as vega.Spec), { renderer: 'none' });
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
