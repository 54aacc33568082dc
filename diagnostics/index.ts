// The diagnostics phase entry point: diagnostic values, the message table and the text renderer.
export * from './diagnostic.ts';
export * from './messages.ts';
export * from './render.ts';
export * from './suggest.ts';
