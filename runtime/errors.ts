// The runtime's user-facing failure: something the user or the machine got wrong (divergence, bad data, a
// damaged file, a missing device), with what went wrong; the CLI prints its message without a stack.
export class RunError extends Error {}
