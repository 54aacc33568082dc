// The runtime's user-facing failure (divergence, bad data, a damaged file, a missing device) is the one
// UserError of diagnostics/errors.ts; RunError is its older name, kept for the runtime's callers.
export { UserError as RunError } from '../diagnostics/index.ts';
