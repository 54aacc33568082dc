// grammar/cst.generated.d.ts must match the grammar; regenerate with `npx tsx grammar/generate-cst-dts.ts`.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { cstDtsPath, generateCstDtsText } from '../../grammar/generate-cst-dts.ts';

it('cst.generated.d.ts is up to date', () => {
  expect(readFileSync(cstDtsPath, 'utf8')).toBe(generateCstDtsText());
});
