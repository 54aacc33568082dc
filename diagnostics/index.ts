// The diagnostics phase entry point: diagnostic values, the errors that carry them (UserError, CompileError,
// InternalError), the message table and the text renderer.
export * from './diagnostic.ts';
export * from './errors.ts';
export * from './messages.ts';
export * from './render.ts';
export * from './suggest.ts';
