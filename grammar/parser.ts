// The .seg grammar as a pure, action-free Chevrotain CstParser: tokens → CST (with error recovery).
// Rule names match the AST nodes to-ast.ts builds from them; see docs in shared/spec/LANGUAGE.md.
import { type IParserErrorMessageProvider } from 'chevrotain';
import { errorMessageProvider } from './errors.ts';
import { NestingLimitedParser } from './nesting.ts';
import * as t from './tokens.ts';

export class SegParser extends NestingLimitedParser {
  /**
   * `skipValidations` skips Chevrotain's checks of the grammar's definition (ambiguities, left recursion):
   * the shared instance below does, to start faster; the grammar is checked by every parser built without it
   * (test/grammar/parser-validation.test.ts).
   */
  constructor(errorMessageProvider?: IParserErrorMessageProvider, skipValidations = false) {
    super(t.allTokens, {
      recoveryEnabled: true,
      nodeLocationTracking: 'full',
      errorMessageProvider,
      skipValidations,
    });
    this.performSelfAnalysis();
  }

  module = this.RULE('module', () => {
    this.MANY(() => {
      this.OR({
        ERR_MSG: 'an import, a definition or an experiment',
        DEF: [
          { ALT: () => this.SUBRULE(this.importDeclaration) },
          { ALT: () => this.SUBRULE(this.definition) },
          { ALT: () => this.SUBRULE(this.experiment) },
        ],
      });
    });
  });

  // `import std/losses { ce, proportion }` or `import "./mine.seg" { tversky }`.
  importDeclaration = this.RULE('importDeclaration', () => {
    this.CONSUME(t.Import);
    this.OR([
      { ALT: () => this.CONSUME(t.StringLiteral) },
      {
        ALT: () => {
          this.AT_LEAST_ONE_SEP({
            SEP: t.Slash,
            DEF: () => this.CONSUME(t.Identifier, { LABEL: 'pathPart' }),
          });
        },
      },
    ]);
    this.CONSUME(t.LCurly);
    this.AT_LEAST_ONE_SEP2({
      SEP: t.Comma,
      DEF: () => this.CONSUME2(t.Identifier, { LABEL: 'importedName' }),
    });
    this.CONSUME(t.RCurly);
  });

  // `loss name(params) = expression` or `net name(params) { statements }`.
  definition = this.RULE('definition', () => {
    this.OR([
      { ALT: () => this.CONSUME(t.Fn) },
      { ALT: () => this.CONSUME(t.Loss) },
      { ALT: () => this.CONSUME(t.Block) },
      { ALT: () => this.CONSUME(t.Net) },
    ]);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.LParen);
    this.MANY_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.parameter) });
    this.CONSUME(t.RParen);
    this.OR2([
      {
        ALT: () => {
          this.CONSUME(t.Equals);
          this.SUBRULE(this.expression);
        },
      },
      { ALT: () => this.SUBRULE(this.block) },
    ]);
  });

  parameter = this.RULE('parameter', () => {
    this.CONSUME(t.Identifier);
    this.OPTION(() => {
      this.CONSUME(t.Colon);
      this.SUBRULE(this.typeAnnotation);
    });
    this.OPTION2(() => {
      this.CONSUME(t.Equals);
      this.SUBRULE(this.expression);
    });
  });

  // `logits[N,C,S]`, `[C]`, `int`.
  typeAnnotation = this.RULE('typeAnnotation', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.Identifier, { LABEL: 'base' });
          this.OPTION(() => this.SUBRULE(this.dimensionList));
        },
      },
      { ALT: () => this.SUBRULE2(this.dimensionList) },
    ]);
  });

  dimensionList = this.RULE('dimensionList', () => {
    this.CONSUME(t.LBracket);
    this.MANY_SEP({ SEP: t.Comma, DEF: () => this.CONSUME(t.Identifier) });
    this.CONSUME(t.RBracket);
  });

  block = this.RULE('block', () => {
    this.CONSUME(t.LCurly);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(t.RCurly);
  });

  statement = this.RULE('statement', () => {
    this.OR({
      ERR_MSG: 'a statement',
      DEF: [
        { ALT: () => this.SUBRULE(this.letStatement) },
        { ALT: () => this.SUBRULE(this.assignStatement) },
        { ALT: () => this.SUBRULE(this.forStatement) },
        { ALT: () => this.SUBRULE(this.ifStatement) },
        { ALT: () => this.SUBRULE(this.returnStatement) },
      ],
    });
  });

  letStatement = this.RULE('letStatement', () => {
    this.CONSUME(t.Let);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression);
  });

  assignStatement = this.RULE('assignStatement', () => {
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression);
  });

  // `for w in xs { }` or `for (w, s) in zip(a, b) { }`.
  forStatement = this.RULE('forStatement', () => {
    this.CONSUME(t.For);
    this.OR([
      { ALT: () => this.CONSUME(t.Identifier) },
      {
        ALT: () => {
          this.CONSUME(t.LParen);
          this.AT_LEAST_ONE_SEP({ SEP: t.Comma, DEF: () => this.CONSUME2(t.Identifier) });
          this.CONSUME(t.RParen);
        },
      },
    ]);
    this.CONSUME(t.In);
    this.SUBRULE(this.expression);
    this.SUBRULE(this.block);
  });

  // `if c { } else if d { } else { }`.
  ifStatement = this.RULE('ifStatement', () => {
    this.CONSUME(t.If);
    this.SUBRULE(this.expression);
    this.SUBRULE(this.block, { LABEL: 'then' });
    this.OPTION(() => {
      this.CONSUME(t.Else);
      this.OR([
        { ALT: () => this.SUBRULE(this.ifStatement, { LABEL: 'elseIf' }) },
        { ALT: () => this.SUBRULE2(this.block, { LABEL: 'else' }) },
      ]);
    });
  });

  returnStatement = this.RULE('returnStatement', () => {
    this.CONSUME(t.Return);
    this.SUBRULE(this.expression);
  });

  // Precedence, loosest first: or < and < not < comparison < additive < multiplicative < unary minus
  // < power (right associative) < postfix < primary.
  expression = this.RULE('expression', () => {
    this.SUBRULE(this.andExpression);
    this.MANY(() => {
      this.CONSUME(t.Or);
      this.SUBRULE2(this.andExpression);
    });
  });

  andExpression = this.RULE('andExpression', () => {
    this.SUBRULE(this.notExpression);
    this.MANY(() => {
      this.CONSUME(t.And);
      this.SUBRULE2(this.notExpression);
    });
  });

  notExpression = this.RULE('notExpression', () => {
    this.OR({
      ERR_MSG: 'an expression',
      DEF: [
        {
          ALT: () => {
            this.CONSUME(t.Not);
            this.SUBRULE(this.notExpression);
          },
        },
        { ALT: () => this.SUBRULE(this.comparison) },
      ],
    });
  });

  comparison = this.RULE('comparison', () => {
    this.SUBRULE(this.additive);
    this.MANY(() => {
      this.CONSUME(t.ComparisonOperator);
      this.SUBRULE2(this.additive);
    });
  });

  additive = this.RULE('additive', () => {
    this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      this.CONSUME(t.AdditiveOperator);
      this.SUBRULE2(this.multiplicative);
    });
  });

  multiplicative = this.RULE('multiplicative', () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.CONSUME(t.MultiplicativeOperator);
      this.SUBRULE2(this.unary);
    });
  });

  // `-a^b` is `-(a^b)`; `a^-b` is allowed.
  unary = this.RULE('unary', () => {
    this.OR({
      ERR_MSG: 'an expression',
      DEF: [
        {
          ALT: () => {
            this.CONSUME(t.Minus);
            this.SUBRULE(this.unary);
          },
        },
        { ALT: () => this.SUBRULE(this.power) },
      ],
    });
  });

  power = this.RULE('power', () => {
    this.SUBRULE(this.postfix);
    this.OPTION(() => {
      this.CONSUME(t.Caret);
      this.SUBRULE(this.unary, { LABEL: 'exponent' });
    });
  });

  postfix = this.RULE('postfix', () => {
    this.SUBRULE(this.primary);
    this.MANY(() => this.SUBRULE(this.suffix));
  });

  // One rule for all suffixes keeps them in source order: call `(args)`, index `[items]`, member `.name`.
  // `sum[N,S](x)` parses as index then call; to-ast turns it into an axis call.
  suffix = this.RULE('suffix', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.LParen);
          this.MANY_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.argument) });
          this.CONSUME(t.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.LBracket);
          this.AT_LEAST_ONE_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.indexItem) });
          this.CONSUME(t.RBracket);
        },
      },
      {
        ALT: () => {
          this.CONSUME(t.Dot);
          this.CONSUME(t.Identifier);
        },
      },
    ]);
  });

  // `x`, `pad = 1`: a keyword argument is a name followed by '='.
  argument = this.RULE('argument', () => {
    this.OPTION(() => {
      this.CONSUME(t.Identifier, { LABEL: 'keyword' });
      this.CONSUME(t.Equals);
    });
    this.SUBRULE(this.expression);
  });

  // `i`, `a:b`, `:b`, `a:`, `:`.
  indexItem = this.RULE('indexItem', () => {
    this.OR({
      ERR_MSG: 'an index or a slice',
      DEF: [
        {
          ALT: () => {
            this.CONSUME(t.Colon);
            this.OPTION(() => this.SUBRULE(this.expression, { LABEL: 'end' }));
          },
        },
        {
          ALT: () => {
            this.SUBRULE2(this.expression, { LABEL: 'start' });
            this.OPTION2(() => {
              this.CONSUME2(t.Colon);
              this.OPTION3(() => this.SUBRULE3(this.expression, { LABEL: 'end' }));
            });
          },
        },
      ],
    });
  });

  primary = this.RULE('primary', () => {
    this.OR({
      ERR_MSG: 'an expression',
      DEF: [
        { ALT: () => this.CONSUME(t.NumberLiteral) },
        { ALT: () => this.CONSUME(t.StringLiteral) },
        { ALT: () => this.CONSUME(t.True) },
        { ALT: () => this.CONSUME(t.False) },
        { ALT: () => this.CONSUME(t.Identifier) },
        { ALT: () => this.SUBRULE(this.parenthesized) },
        { ALT: () => this.SUBRULE(this.list) },
      ],
    });
  });

  parenthesized = this.RULE('parenthesized', () => {
    this.CONSUME(t.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(t.RParen);
  });

  list = this.RULE('list', () => {
    this.CONSUME(t.LBracket);
    this.MANY_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.expression) });
    this.CONSUME(t.RBracket);
  });

  experiment = this.RULE('experiment', () => {
    this.CONSUME(t.Experiment);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.experimentItem);
      this.OPTION(() => this.CONSUME(t.Comma));
    });
    this.CONSUME(t.RCurly);
  });

  // A section is `name {`, a setting is `name... =`, a param starts with the `param` keyword.
  experimentItem = this.RULE('experimentItem', () => {
    this.OR({
      ERR_MSG: "a setting, a section or a 'param'",
      DEF: [
        { ALT: () => this.SUBRULE(this.paramDeclaration) },
        { ALT: () => this.SUBRULE(this.section) },
        { ALT: () => this.SUBRULE(this.setting) },
      ],
    });
  });

  paramDeclaration = this.RULE('paramDeclaration', () => {
    this.CONSUME(t.Param);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression);
  });

  section = this.RULE('section', () => {
    this.CONSUME(t.Identifier);
    this.SUBRULE(this.settingBlock);
  });

  // `key = value`, `train augment = [...]`, `data = shapes(...) { options }`.
  setting = this.RULE('setting', () => {
    this.AT_LEAST_ONE(() => this.CONSUME(t.Identifier));
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression);
    this.OPTION(() => this.SUBRULE(this.settingBlock));
  });

  // `{ a = 1, b = 2 }` or one setting a line: commas are optional.
  settingBlock = this.RULE('settingBlock', () => {
    this.CONSUME(t.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.setting);
      this.OPTION(() => this.CONSUME(t.Comma));
    });
    this.CONSUME(t.RCurly);
  });
}

/** The one parser instance (Chevrotain parsers are reusable: set `input`, call `module()`). */
export const segParser = new SegParser(errorMessageProvider, true);
