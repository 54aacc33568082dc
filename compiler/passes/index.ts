// The passes between staging and codegen, each a named step the driver (compiler/index.ts) runs and, in tests
// and under SEGC_VERIFY=1, verifies: fusion (which nodes get buffers and kernels, fuse.ts) on the graph, the
// ReLU masks' choice of tensor (relu-masks.ts, then fusion again) and memory planning (which buffers share
// allocations, plan-memory.ts) on the plan codegen made.
export type { Fusion } from './fuse.ts';
export { fuseElementwise } from './fuse.ts';
export type { MemoryReport } from './plan-memory.ts';
export { memoryReport, planMemory } from './plan-memory.ts';
export { chooseReluMasks } from './relu-masks.ts';
export { verifyFusion } from './verify.ts';
