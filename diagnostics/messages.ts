// Every user-visible diagnostic message, keyed by code: 1xxx syntax, 2xxx names/imports, 3xxx types/dims,
// 4xxx staging/networks, 5xxx data/config, 6xxx runtime/GPU. Templates use {0}, {1}, ... placeholders.
import type { Category, Diagnostic, Span } from './diagnostic.ts';

export interface MessageEntry {
  category: Category;
  template: string;
}

export const messages = {
  // 1xxx syntax (grammar/)
  SEG1001: { category: 'error', template: 'Unexpected character {0}.' },
  SEG1002: { category: 'error', template: 'Unterminated string literal.' },
  SEG1003: { category: 'error', template: 'Expected {0} but found {1}.' },
  SEG1004: { category: 'error', template: "Only an axis call like 'sum[N,S](x)' may list several indices." },
  SEG1005: { category: 'error', template: 'Only a name can be called, but {0} is not a name.' },
  // Limits (docs/limits.md): each says which limit was crossed, at the place it was crossed.
  SEG1006: {
    category: 'error',
    template: 'The file has {0} characters, more than the {1} a .seg file may have.',
  },
  SEG1007: { category: 'error', template: 'Nested too deeply: {0}.' },
  SEG1008: {
    category: 'error',
    template:
      'Expression nested more than {0} levels deep (each operator, call, list or index is one): ' +
      "split it with 'let'.",
  },
  SEG1009: {
    category: 'error',
    template: 'The file has {0} tokens (names, numbers, operators), more than the {1} a .seg file may have.',
  },

  // 2xxx names and imports
  SEG2001: { category: 'error', template: 'Unknown name {0}.' },
  SEG2002: { category: 'error', template: 'Cannot find module {0}.' },
  SEG2003: { category: 'error', template: 'Module {0} has no definition {1}.' },
  SEG2004: { category: 'error', template: '{0} is already {1} on line {2}.' },

  // 3xxx types and dimensions
  SEG3002: { category: 'error', template: '{0} has no dimension {1}.' },
  SEG3003: { category: 'error', template: 'Expected {0} but found {1}.' },
  SEG3004: { category: 'error', template: 'Shape error in {0}: {1}.' },
  SEG3005: { category: 'error', template: 'Unknown type {0}.' },

  // 4xxx staging and networks
  SEG4001: { category: 'error', template: 'Wrong number of arguments to {0}: expected {1}, found {2}.' },
  SEG4002: { category: 'error', template: 'Unknown keyword argument {0} for {1}.' },
  SEG4003: { category: 'error', template: 'Recursion through {0} is not allowed.' },
  SEG4004: { category: 'error', template: '{0} needs the argument {1}.' },
  SEG4005: { category: 'error', template: 'This makes a {0} of {1} {2}, more than the {3} allowed.' },
  SEG4006: { category: 'error', template: 'Loops run more than {0} times in all while staging.' },
  SEG4007: { category: 'error', template: '{0} nest more than {1} deep here.' },
  SEG4008: { category: 'error', template: 'The program builds more than {0}.' },
  SEG4009: { category: 'error', template: 'Staging takes more than {0} steps (evaluated expressions).' },
  // Arguments of calls and built-ins.
  SEG4010: { category: 'error', template: 'Argument {0} of {1} is given both by position and by keyword.' },
  SEG4011: { category: 'error', template: 'Keyword argument {0} is given twice.' },
  SEG4012: {
    category: 'error',
    template: "'clamp' needs a bound, as in 'clamp(x, 0, 1)' or 'clamp(x, min = 1e-6)'.",
  },
  SEG4013: { category: 'error', template: '{0} needs {1}, got {2}.' },
  SEG4014: { category: 'error', template: '{0} of {1} must be a whole number >= 0, got {2}.' },
  SEG4015: { category: 'error', template: '{0} of {1} needs {2} values (one per spatial dim), got {3}.' },
  SEG4016: { category: 'error', template: '{0} needs axes, as in {1}.' },
  SEG4017: { category: 'error', template: '{0} mode must be "nearest" or "linear", got {1}.' },
  SEG4018: { category: 'error', template: '{0} init must be "torch", "kaiming" or "xavier", got {1}.' },
  // Layers.
  SEG4020: { category: 'error', template: "{0} needs a tensor with a 'C' dimension." },
  SEG4021: { category: 'error', template: '{0} needs {1} groups to divide the channels ({2}).' },
  SEG4022: {
    category: 'error',
    template: "{0} groups ({1}) must divide the input channels ({2}) and 'c' ({3}).",
  },
  SEG4023: { category: 'error', template: "'concat' joins along channels: write 'concat[C](a, b)'." },
  SEG4024: { category: 'error', template: "'concat' needs at least two tensors." },
  // Layer names.
  SEG4025: { category: 'error', template: '{0} creates no weights: there is nothing to name.' },
  SEG4026: { category: 'error', template: '{0} is a {1}: only blocks and nets are named.' },
  SEG4027: {
    category: 'error',
    template: '{0} is not a layer name: names, numbers and \'.\' between them ("layer1.0").',
  },
  SEG4028: { category: 'error', template: 'Two tensors are named {0}: give the layers different names.' },
  // Definitions and compile-time values.
  SEG4030: { category: 'error', template: "{0} ends without a 'return'." },
  SEG4031: { category: 'error', template: 'Each item must be a list of {0} values to unpack.' },
  SEG4032: { category: 'error', template: 'Index {0} is out of range for a list of {1}.' },
  SEG4033: { category: 'error', template: 'Division by zero in a compile-time expression.' },

  // 5xxx data and config
  // Settings against the catalogue (compiler/config/check.ts).
  SEG5001: { category: 'error', template: 'Unknown {0} {1}; valid {2} are {3}.' },
  SEG5002: { category: 'error', template: 'Unknown option {0} for {1}; valid options are {2}.' },
  SEG5003: { category: 'error', template: 'Unknown option {0} for {1}; it takes none.' },
  SEG5004: { category: 'error', template: '{0} must be {1}, got {2}.' },
  SEG5005: { category: 'error', template: 'Expected {0}, got {1}.' },
  SEG5006: { category: 'error', template: '{0} is not defined in this file; it is in {1}.' },
  SEG5007: {
    category: 'error',
    template: 'Unknown statistics {0}; write stats(mean = [...], std = [...]), or imagenet from std/augment.',
  },
  SEG5008: { category: 'error', template: '{0} takes at most {1} by position ({2}); this is argument {3}.' },
  SEG5009: { category: 'error', template: '{0} takes no arguments; this is argument {1}.' },
  SEG5010: { category: 'error', template: 'Option {0} of {1} is given both by position and by name.' },
  SEG5011: { category: 'error', template: '{0} needs {1} ({2}), as in {3}.' },
  // A rule of a catalogue entry between its options (the entry's `refine`), on one option or on the entry.
  SEG5012: { category: 'error', template: 'Option {0} of {1} {2}.' },
  SEG5013: { category: 'error', template: '{0} needs {1}.' },
  SEG5014: {
    category: 'error',
    template:
      "{0} takes no option block; only 'data' (its augmentation pipelines) and 'optimizer' " +
      '(its parameter groups and frozen weights) have one.',
  },
  SEG5015: { category: 'error', template: 'Cannot select on {0}; valid metrics are {1}.' },
  SEG5016: {
    category: 'error',
    template: 'Cannot select on {0}: it is a table with a value per class, not one number.',
  },
  SEG5017: { category: 'error', template: 'Cannot select on {0}: it is not one of the metrics ({1}).' },
  // The experiment's items (compiler/stage/experiment.ts, settings.ts).
  SEG5020: { category: 'error', template: 'There is no experiment {0} in this file.' },
  SEG5021: { category: 'error', template: 'This file declares no experiment.' },
  SEG5022: {
    category: 'error',
    template:
      'A file declares one experiment, but this file also declares {0} (after {1}); move it to a file ' +
      'of its own.',
  },
  SEG5023: { category: 'error', template: '{0} must be a name or a call, as in {1}.' },
  SEG5024: {
    category: 'error',
    template: "{0} takes no option block; only a setting such as 'data' has one.",
  },
  SEG5025: { category: 'error', template: 'Param {0} would hide {1}; give it another name.' },
  SEG5026: { category: 'error', template: "'model' must be a call of a net, as in 'unet(...)'." },
  SEG5027: { category: 'error', template: 'Experiment {0} has no {1} ({2}).' },
  SEG5028: { category: 'error', template: 'A setting cannot be {0}.' },
  SEG5029: {
    category: 'error',
    template: "'step' needs a number for {0}, as in step(1.0, every = 10, factor = 5.0).",
  },
  SEG5030: {
    category: 'error',
    template: "'step' takes the starting value first, as in step(1.0, every = 10, factor = 5.0).",
  },
  // The model against the data (compiler/stage/graphs.ts, declared.ts) and the augmentation at its size.
  SEG5031: { category: 'error', template: '{0} is not a net.' },
  SEG5032: { category: 'error', template: 'Give model options by name; the image is passed first.' },
  SEG5033: { category: 'error', template: 'The network gives {0} but the data has {1} classes.' },
  SEG5034: {
    category: 'error',
    template: 'The network gives {0} but the data has 2 classes (one channel would be binary mode).',
  },
  SEG5035: {
    category: 'error',
    template: "The network takes {0} (in = {1}) but the data's images have {2}.",
  },
  SEG5036: { category: 'error', template: 'train augment: {0}.' },
  // --set on the command line (compiler/config/run.ts).
  SEG5040: {
    category: 'error',
    template:
      "{0} is a section, not a param: --set takes one of its options ('{1}.NAME=VALUE'); the {1} itself " +
      'is chosen in the experiment.',
  },
  SEG5041: { category: 'error', template: 'The param {0} takes a number in --set, got {1}.' },
  SEG5042: {
    category: 'error',
    template:
      'Cannot set {0}: sections are train, eval, data, optimizer and schedule (when the experiment has one).',
  },
  SEG5043: { category: 'error', template: 'Unknown param {0} in --set; params are {1}.' },
  // Declared in the catalogue but not runnable by this version (compiler/config/run.ts, unavailable).
  SEG5050: {
    category: 'error',
    template: 'Dataset {0} is declared but training on it is not available yet; this version trains on {1}.',
  },
  SEG5051: {
    category: 'error',
    template:
      'Augmentation ({0}) is declared but not available yet; {0} may hold resize, longest_max_size and ' +
      "pad_if_needed, then only repeat the normalize that ends 'train augment'.",
  },
  SEG5052: {
    category: 'error',
    template: "'normalize' must be the last transform of {0} (it turns the image into floats).",
  },
  SEG5053: {
    category: 'error',
    template: 'Transform {0} in {1} is declared but not available yet; this version runs {2}.',
  },
  SEG5054: {
    category: 'error',
    template: 'Transforms {0} in {1} are declared but not available yet; this version runs {2}.',
  },
  SEG5055: {
    category: 'error',
    template: 'Metric {0} is declared but not available yet; this version computes {1}.',
  },
  SEG5056: {
    category: 'error',
    template:
      "An evaluation batch other than the training batch ({0}) is not available yet; remove 'batch' from " +
      "'eval' or make it {0}.",
  },
  // Sweeps (compiler/stage/sweep.ts, experiment.ts, jobs/expand.ts).
  SEG5060: { category: 'error', template: '{0} in a sweep takes no option block.' },
  SEG5061: { category: 'error', template: 'The sweep names the loss variant {0} twice.' },
  SEG5062: { category: 'error', template: 'The sweep has two grids over {0}.' },
  SEG5063: {
    category: 'error',
    template: "A grid is a non-empty list of values, as in 'grid {0} = [1, 2]'.",
  },
  SEG5064: { category: 'error', template: 'The grid over {0} repeats a value: each run needs its own.' },
  SEG5065: {
    category: 'error',
    template: "'seeds' is a non-empty list of whole numbers, as in 'seeds = [1, 2, 3]'.",
  },
  SEG5066: { category: 'error', template: "'seeds' repeats a seed: each replicate needs its own." },
  SEG5067: {
    category: 'error',
    template: "A sweep holds 'loss NAME = formula', 'grid KEY = [values]' and 'seeds = [...]', not {0}.",
  },
  SEG5068: { category: 'error', template: 'The sweep expands to {0} runs, more than the {1} allowed.' },
  SEG5069: {
    category: 'error',
    template: 'A grid value is a number, a name, a string or a list of numbers; this one is not.',
  },
  SEG5070: { category: 'error', template: 'Experiment {0} has no loss variant {1}; its variants are {2}.' },
  SEG5071: {
    category: 'error',
    template: 'Experiment {0} has no loss variant {1}; it has no sweep section.',
  },
  SEG5072: {
    category: 'error',
    template:
      'Metric {0} is not available for multilabel masks yet (this version computes surface distances on ' +
      'class maps); read the dataset with binary = true to score the union of the lesions.',
  },
  // Options handed to a dataset's implementation (runtime/data), by the catalogue's types and ranges.
  SEG5080: { category: 'error', template: '{0}: option {1} must be {2}, got {3}.' },

  // 6xxx runtime and GPU
  SEG6002: {
    category: 'error',
    template: '{0} needs {1}, more than one buffer may hold on this device: {3} is {2}{4}.',
  },

  // Device (runtime/device.ts, runtime/executor.ts)
  SEG6010: {
    category: 'error',
    template:
      'No WebGPU adapter found. On a machine without a GPU install Mesa >= 24 lavapipe ' +
      '(scripts/setup-system.sh) and set XDG_RUNTIME_DIR.',
  },
  SEG6011: {
    category: 'error',
    template: "--device gpu needs a hardware adapter, but only '{0}' is present.",
  },
  SEG6012: {
    category: 'error',
    template: "--device cpu needs a software adapter (lavapipe), but only '{0}' is present.",
  },
  SEG6013: {
    category: 'error',
    template: "Plan '{0}': {1} needs {2} bytes, more than one buffer may hold on this device ({3} bytes).",
  },
  SEG6014: { category: 'error', template: "Plan '{0}' has no {1} {2}; its {1}s are {3}." },
  // Data files (runtime/data): a DataError adds ' (from OPTION)', the option that led to the file.
  SEG6020: { category: 'error', template: "Dataset folder '{0}' not found" },
  SEG6021: { category: 'error', template: "'{0}' is not a folder" },
  SEG6022: { category: 'error', template: "Folder '{0}' not found" },
  SEG6023: { category: 'error', template: "Split list '{0}' not found" },
  SEG6024: { category: 'error', template: "Class list '{0}' not found" },
  SEG6025: { category: 'error', template: "Image '{0}' listed in '{1}' not found in '{2}'" },
  SEG6026: { category: 'error', template: "Mask '{0}' of '{1}' not found" },
  SEG6027: {
    category: 'error',
    template:
      "Label '{0}' of '{1}' not found (trainId files are made by mmsegmentation's " +
      'convert_datasets/cityscapes.py)',
  },
  SEG6028: { category: 'error', template: "Image of '{0}' (listed in '{1}') not found in '{2}'" },
  SEG6029: { category: 'error', template: "Folder '{0}' holds no images (.jpg, .png, .tif, ...)" },
  SEG6030: { category: 'error', template: "Mask of image '{0}' not found: no file named '{1}.*' in '{2}'" },
  SEG6031: { category: 'error', template: "Glob '{0}': wildcards are allowed in the file name only" },
  SEG6032: { category: 'error', template: "No file matches '{0}'" },
  SEG6033: {
    category: 'error',
    template: "{0} image volumes match '{1}' but {2} label volumes match '{3}' (paired by sorted name)",
  },
  SEG6034: { category: 'error', template: "Image '{0}' listed in '{1}' not found" },
  SEG6035: { category: 'error', template: "'{0}' has {1} images but {2} masks (paired by sorted index)" },
  SEG6036: { category: 'error', template: "{0} '{1}' not found" },
  SEG6037: { category: 'error', template: "{0} '{1}' cannot be read ({2})" },
  SEG6038: { category: 'error', template: "Image '{0}' is corrupt or not an image: {1}" },
  SEG6039: { category: 'error', template: "Mask '{0}' is a corrupt PNG: {1}" },
  SEG6040: { category: 'error', template: "Mask '{0}' has an unsupported PNG layout (depth {1})" },
  SEG6041: { category: 'error', template: "Volume '{0}' is not a readable NIfTI file: {1}" },
  SEG6042: { category: 'error', template: "Mask '{0}' is {1}×{2} but its image '{3}' is {4}×{5}" },
  SEG6043: {
    category: 'error',
    template:
      "Mask '{0}' stores colours (RGB), not class indices; save it as a palette or grey PNG, or " +
      'read it with a value map or as binary',
  },
  SEG6044: { category: 'error', template: "Mask '{0}' has the label {1} at row {2}, column {3}: {4}" },
  SEG6045: {
    category: 'error',
    template: "Label volume '{0}' is {1}×{2}×{3}×{4} but its image '{5}' is {6}×{7}×{8}",
  },
  SEG6046: {
    category: 'error',
    template: "Label volume '{0}' has the label {1} at {2}: not a class ({3} classes)",
  },
  SEG6047: {
    category: 'error',
    template: "The dataset '{0}' has {1} classes{2} but the experiment declares {3}: give {0}(classes = {1})",
  },
  SEG6049: { category: 'error', template: "The dataset '{0}' has no {1} split" },
  SEG6050: { category: 'error', template: "Unknown dataset '{0}' in '{1}'." },
  // Saved state, checkpoints and weights files (runtime/train, runtime/checkpoint, runtime/weights)
  SEG6060: {
    category: 'error',
    template: "Cannot resume: '{0}' does not exist (runs write it after each epoch).",
  },
  SEG6061: { category: 'error', template: "Cannot resume from '{0}': it is not a segc training state." },
  SEG6062: {
    category: 'error',
    template: "Cannot resume from '{0}': it belongs to experiment '{1}', not '{2}'.",
  },
  SEG6063: { category: 'error', template: "Cannot resume from '{0}': {1}" },
  SEG6064: { category: 'error', template: "Cannot resume from '{0}': its training state is damaged ({1})." },
  SEG6065: {
    category: 'error',
    template: "Cannot {0}: '{1}' does not exist (segc run writes it after each epoch).",
  },
  SEG6066: { category: 'error', template: "Cannot {0} '{1}': it belongs to experiment '{2}', not '{3}'." },
  SEG6067: { category: 'error', template: "Cannot {0} '{1}': {2}" },
  SEG6068: { category: 'error', template: 'Cannot {0}: {1}' },
  SEG6069: { category: 'error', template: "{0}cannot load weights from '{1}': {2}" },
  SEG6070: { category: 'error', template: "Cannot test: {0}: its 'params' metadata is not JSON." },
  SEG6071: { category: 'error', template: 'Cannot test: {0}: its training state is not JSON.' },

  // Run folders and command-line options (runtime/checkpoint/run-folder.ts, cli/)
  SEG6080: { category: 'error', template: "--out '{0}' is a file, not a directory; choose another --out." },
  SEG6081: {
    category: 'error',
    template: "Output directory '{0}' already holds a run{1}; choose another --out or move it away.",
  },
  SEG6082: { category: 'error', template: "Cannot create the output directory '{0}': {1}" },
  SEG6083: {
    category: 'error',
    template: "Cannot write to the output directory '{0}' ({1}); make it writable or choose another --out.",
  },
  SEG6084: {
    category: 'error',
    template: 'Give --out or --resume, not both: a resumed run continues in its own directory.',
  },
  SEG6085: {
    category: 'error',
    template: 'Give --init-from or --resume, not both: a resumed run has its own weights.',
  },
  SEG6086: { category: 'error', template: "Unknown split '{0}'; the splits are train, val and test." },
  SEG6087: {
    category: 'error',
    template:
      "No kernel name contains '{0}'; the {1} kernels are named {2} " +
      "(see 'segc wgsl FILE' or 'segc plan FILE').",
  },
  SEG6088: {
    category: 'error',
    template: "'{0}' already holds .wgsl files; choose another --out or move them away.",
  },

  // `segc grad` inputs (runtime/grad.ts)
  SEG6090: { category: 'error', template: "There is no definition '{0}' in {1}; its losses are {2}." },
  SEG6091: {
    category: 'error',
    template: "{0}: '{1}' has shape [{2}], which does not fit its declared type{3}",
  },
  SEG6092: {
    category: 'error',
    template: "{0}: labels '{1}' must be class indices (or 0/1 masks) in 0..255 (255 = ignore).",
  },
  SEG6093: { category: 'error', template: 'Cannot read the inputs file {0}: {1}' },
  SEG6094: { category: 'error', template: "The inputs file {0} cannot go into loss '{1}': {2}" },

  // Training (runtime/train/trainer.ts)
  SEG6100: {
    category: 'error',
    template:
      "test { after_training = true } tests on '{0}', but the dataset '{1}' has no such split " +
      '(give test { split = val }).',
  },
  SEG6101: { category: 'error', template: 'The training split has {0} images, fewer than one batch of {1}.' },
  SEG6102: {
    category: 'error',
    template: "Nothing to resume in '{0}': all {1} epochs are done (raise train.epochs with --set).",
  },
  SEG6103: { category: 'error', template: 'Cannot save {0}: {1}. {2}; {3}, {4}.' },
  SEG6104: { category: 'error', template: 'Training stopped in epoch {0}, step {1}: {2}' },
  SEG6105: { category: 'error', template: "Cannot test on '{0}': the dataset '{1}' has no such split." },
  SEG6107: {
    category: 'error',
    template: "Cannot predict with '{0}': its network does not take RGB images.",
  },
  SEG6108: { category: 'error', template: "Cannot read the image folder '{0}': {1}" },
  SEG6109: { category: 'error', template: "The folder '{0}' holds no images (.png, .jpg, .tif, ...)." },
  SEG6110: { category: 'error', template: "'{0}' and '{1}' in '{2}' would both write {3}.png." },

  // Reports and sweep queues (report/, jobs/)
  SEG6120: {
    category: 'error',
    template: "'{0}' is not a folder of runs (segc run or segc sweep writes one).",
  },
  SEG6121: { category: 'error', template: "'{0}' holds no finished run (a folder with {1})." },
  SEG6122: { category: 'error', template: "Cannot read '{0}': {1}" },
  SEG6123: { category: 'error', template: "Cannot open the queue at '{0}': {1}" },
  SEG6111: { category: 'error', template: '{0} augment: {1}.' },
} as const satisfies Record<string, MessageEntry>;

export type MessageCode = keyof typeof messages;

/** Fills a code's template: `formatMessage('SEG2001', "'foo'")` → "Unknown name 'foo'.". */
export function formatMessage(code: MessageCode, ...args: Array<string | number>): string {
  return messages[code].template.replace(/\{(\d+)\}/g, (whole, index: string) => {
    const value = args[Number(index)];
    return value === undefined ? whole : String(value);
  });
}

/** Quotes an entity for a message: `quote('x')` → "'x'". */
export function quote(text: string): string {
  return `'${text}'`;
}

/** Builds a Diagnostic value from a table entry. */
export function createDiagnostic(
  code: MessageCode,
  span: Span | undefined,
  ...args: Array<string | number>
): Diagnostic {
  return { code, category: messages[code].category, message: formatMessage(code, ...args), span };
}
