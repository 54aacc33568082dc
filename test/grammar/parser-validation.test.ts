// The shared parser and lexer skip Chevrotain's checks of their definitions (faster starts); these build them
// with the checks on, so an ambiguous alternative, left recursion or an unreachable token still fails here.
import { readFileSync } from 'node:fs';
import { Lexer } from 'chevrotain';
import { expect, it } from 'vitest';
import { errorMessageProvider } from '../../grammar/errors.ts';
import { SegParser, segParser } from '../../grammar/parser.ts';
import { LEXER_OPTIONS, SegLexer, allTokens } from '../../grammar/tokens.ts';

it('the grammar passes Chevrotain’s validations, and the shared parser has the same rules', () => {
  // performSelfAnalysis throws 'Parser Definition Errors detected' when a check fails.
  let validated: SegParser | undefined;
  expect(() => (validated = new SegParser(errorMessageProvider))).not.toThrow();
  expect(validated!.getSerializedGastProductions()).toEqual(segParser.getSerializedGastProductions());
});

it('the tokens pass the lexer’s validations, and the shared lexer reads the stdlib alike', () => {
  const validated = new Lexer(allTokens, LEXER_OPTIONS);
  expect(validated.lexerDefinitionErrors).toEqual([]);
  const text = readFileSync(new URL('../../stdlib/losses.seg', import.meta.url), 'utf8');
  const image = (tokens: { image: string; tokenType: { name: string } }[]) =>
    tokens.map((token) => `${token.tokenType.name} ${token.image}`);
  const expected = validated.tokenize(text);
  expect(expected.errors).toEqual([]);
  expect(image(SegLexer.tokenize(text).tokens)).toEqual(image(expected.tokens));
  expect(expected.tokens.length).toBeGreaterThan(1000);
});
