// The segc command: argument parsing, diagnostics and exit codes, thin over the compiler and runtime.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { compileExperiment } from '../compiler/index.ts';
import { computeGrad } from '../runtime/grad.ts';
import { checkFiles, compileErrorText, internalErrorText, userErrorText } from './check.ts';
import { documentFile, formatFiles } from './fmt.ts';
import type { DevicePreference } from '../runtime/device.ts';
import { userError } from '../diagnostics/index.ts';
import { checkData } from '../runtime/data/check-data.ts';
import { Trainer } from '../runtime/train/trainer.ts';
import { progressRenderer } from './progress.ts';
import { STATE_FILE } from '../runtime/train/state.ts';
import { testCheckpoint } from '../runtime/train/test-run.ts';
import { predictFolder } from '../runtime/train/predict.ts';
import { explainFile } from './explain.ts';
import { parseOverride } from '../compiler/index.ts';
import type { Override } from '../compiler/index.ts';
import { printGraphs, printKernels, printPlanSummary, writeKernels } from './inspect.ts';
import { printParams } from './params.ts';
import { segcVersion } from './version.ts';
import { addSweepCommands } from './sweep.ts';
import { addReportCommand } from './report.ts';

/** `--set key=value` for `segc run`: numbers, true/false, quoted strings and names (see parseOverride). */
function parseSet(value: string, previous: Record<string, Override> = {}): Record<string, Override> {
  const match = /^([A-Za-z_][\w.]*)=(.+)$/s.exec(value);
  if (!match) throw new InvalidArgumentError(`expected key=value, got '${value}'`);
  return { ...previous, [match[1]]: parseOverride(match[2]) };
}

/** `--set name=number` for `segc grad`: the values of a loss's number parameters. */
function parseNumberSet(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const match = /^([A-Za-z_]\w*)=(.+)$/.exec(value);
  const number = match ? Number(match[2]) : NaN;
  if (!match || !Number.isFinite(number))
    throw new InvalidArgumentError(`expected name=number, got '${value}'`);
  return { ...previous, [match[1]]: number };
}

function parseDevice(value: string): DevicePreference {
  if (!['gpu', 'cpu', 'auto'].includes(value)) throw new InvalidArgumentError('expected gpu, cpu or auto');
  return value as DevicePreference;
}

/**
 * Runs a command body: a user error (a .seg diagnostic, a missing file, a UserError) becomes its message and
 * exit code 1, never a stack trace; anything else is segc's own bug, printed as an internal error with its
 * stack (exit code 1 too).
 */
async function guarded(body: () => Promise<void> | void): Promise<void> {
  try {
    await body();
  } catch (error) {
    const text = compileErrorText(error) ?? userErrorText(error);
    if (text !== undefined) {
      process.stderr.write(text);
      process.exitCode = 1;
    } else {
      process.stderr.write(internalErrorText(error));
      process.exitCode = 1;
    }
  }
}

const program = new Command('segc')
  .description('Segmentation losses as formulas, compiled to WebGPU.')
  .version(segcVersion(), '-V, --version', "print segc's version");

program
  .command('run')
  .description('train and evaluate an experiment')
  .argument('<file>', '.seg experiment file')
  .option('--set <key=value>', 'override a param or a setting (section.key); repeatable', parseSet, {})
  .option('--device <kind>', 'gpu, cpu or auto', parseDevice, 'auto')
  .option('--out <dir>', 'output directory (default runs/<experiment>)')
  .option('--resume <dir>', 'continue the run in this directory from its last epoch (weights, Adam, params)')
  .option('--init-from <file>', 'start from the weights of a saved model (a model.safetensors): fine-tune')
  .action(
    (
      file: string,
      opts: {
        set: Record<string, Override>;
        device: DevicePreference;
        out?: string;
        resume?: string;
        initFrom?: string;
      },
    ) =>
      guarded(async () => {
        if (opts.out && opts.resume) throw userError('SEG6084', []);
        if (opts.initFrom && opts.resume) throw userError('SEG6085', []);
        // Ctrl-C ends the run at once; the epochs done are in the directory's training state.
        let directory: string | undefined;
        const interrupted = () => {
          const saved = directory && existsSync(join(directory, STATE_FILE));
          const resume = saved
            ? ` The epochs done are saved: resume with 'segc run ${file} --resume ${directory}'.`
            : ' No epoch was finished, so there is nothing to resume.';
          process.stderr.write(`\nsegc: interrupted.${resume}\n`);
          process.exit(130);
        };
        process.once('SIGINT', interrupted);
        try {
          const progress = progressRenderer();
          const trainer = new Trainer(file, {
            overrides: opts.set,
            device: opts.device,
            out: opts.out,
            resume: opts.resume,
            initFrom: opts.initFrom,
            liveTerms: progress.live,
            onDirectory: (dir) => (directory = dir),
          });
          await trainer.on(progress.listener).run();
        } finally {
          process.off('SIGINT', interrupted);
        }
      }),
  );

program
  .command('test')
  .description('evaluate the model a run saved on a split of the dataset')
  .argument('<file>', '.seg experiment file')
  .requiredOption(
    '--checkpoint <dir>',
    'the directory of the run (model-best.safetensors or model.safetensors, checkpoint.safetensors)',
  )
  .option('--last', "test the model after the last epoch instead of the one 'eval.select' picked")
  .option('--split <name>', "train, val or test (default: the test section's split, else val)")
  .option(
    '--save-predictions',
    'also write the class maps: DIR/<split>_results/<id>.png and DIR/predictions-<split>.safetensors',
  )
  .option('--set <key=value>', 'override a param or a setting (section.key); repeatable', parseSet, {})
  .option('--device <kind>', 'gpu, cpu or auto', parseDevice, 'auto')
  .action(
    (
      file: string,
      opts: {
        checkpoint: string;
        split?: string;
        savePredictions?: boolean;
        last?: boolean;
        set: Record<string, Override>;
        device: DevicePreference;
      },
    ) =>
      guarded(async () => {
        if (opts.split !== undefined && !['train', 'val', 'test'].includes(opts.split))
          throw userError('SEG6086', [opts.split]);
        const { checkpoint, savePredictions } = opts;
        const split = opts.split as 'train' | 'val' | 'test' | undefined;
        await testCheckpoint(file, {
          checkpoint,
          split,
          savePredictions,
          last: opts.last,
          overrides: opts.set,
          device: opts.device,
        });
      }),
  );

program
  .command('predict')
  .description("write a mask per image of a folder, at each image's size, with the model a run saved")
  .argument('<file>', '.seg experiment file')
  .requiredOption(
    '--checkpoint <dir>',
    'the directory of the run (model-best.safetensors or model.safetensors)',
  )
  .requiredOption('--images <folder>', 'the folder of images (.png, .jpg, .tif, ...)')
  .requiredOption(
    '--out <dir>',
    'where <stem>.png masks are written (0/255 in binary mode, class indices otherwise)',
  )
  .option('--overlay', 'also write <stem>-overlay.png: the image with its predicted classes tinted')
  .option('--last', "use the model after the last epoch instead of the one 'eval.select' picked")
  .option('--set <key=value>', 'override a param or a setting (section.key); repeatable', parseSet, {})
  .option('--device <kind>', 'gpu, cpu or auto', parseDevice, 'auto')
  .action(
    (
      file: string,
      opts: {
        checkpoint: string;
        images: string;
        out: string;
        overlay?: boolean;
        last?: boolean;
        set: Record<string, Override>;
        device: DevicePreference;
      },
    ) =>
      guarded(async () => {
        const { checkpoint, images, out, overlay, last } = opts;
        await predictFolder(file, {
          checkpoint,
          images,
          out,
          overlay,
          last,
          overrides: opts.set,
          device: opts.device,
        });
      }),
  );

program
  .command('wgsl')
  .description('print every generated WGSL kernel')
  .argument('<file>', '.seg experiment file')
  .option('--kernel <name>', 'only kernels whose name contains this')
  .option('--out <dir>', 'write each kernel to DIR/<name>.wgsl instead of printing')
  .action((file: string, opts: { kernel?: string; out?: string }) =>
    guarded(() => {
      const compiled = compileExperiment(file);
      if (!opts.out) {
        process.stdout.write(printKernels(compiled, opts.kernel));
        return;
      }
      const count = writeKernels(compiled, opts.out, opts.kernel);
      process.stdout.write(`wrote ${count} kernels to ${opts.out}\n`);
    }),
  );

program
  .command('graph')
  .description('print the forward and backward IR')
  .argument('<file>', '.seg experiment file')
  .action((file: string) =>
    guarded(() => {
      process.stdout.write(printGraphs(compileExperiment(file)));
    }),
  );

program
  .command('grad')
  .description('evaluate a loss and its gradients on the GPU for inputs from a safetensors file')
  .argument('<file>', '.seg module defining the loss')
  .requiredOption('--loss <name>', 'the loss (or fn) to evaluate')
  .requiredOption('--inputs <file>', 'safetensors with one tensor per loss parameter, by name')
  .requiredOption('--out <file>', 'safetensors to write: loss, each term, grad.<input>')
  .option('--set <key=value>', 'a scalar parameter of the loss (repeatable)', parseNumberSet, {})
  .option('--device <kind>', 'gpu, cpu or auto', parseDevice, 'auto')
  .action(
    (
      file: string,
      opts: {
        loss: string;
        inputs: string;
        out: string;
        set: Record<string, number>;
        device: DevicePreference;
      },
    ) =>
      guarded(async () => {
        const results = await computeGrad(file, { ...opts, overrides: opts.set });
        const terms = Object.entries(results).filter(([k]) => !k.startsWith('grad.'));
        process.stdout.write(`${terms.map(([k, v]) => `${k} ${v[0]}`).join('  ')}\n`);
      }),
  );

program
  .command('plan')
  .description('kernel counts and planned memory of the training and evaluation plans')
  .argument('<file>', '.seg experiment file')
  .option('--target <kind>', 'gpu or cpu (kernel tuning)', 'gpu')
  .option('--set <key=value>', 'override a param or a setting, as segc run does; repeatable', parseSet, {})
  .option(
    '--memory',
    'also compare with fusion off: kernels, bytes without and with sharing, peak live bytes',
  )
  .action((file: string, opts: { target: string; memory?: boolean; set: Record<string, Override> }) =>
    guarded(() => {
      const target = opts.target === 'cpu' ? 'cpu' : 'gpu';
      const overrides = opts.set;
      process.stdout.write(printPlanSummary(compileExperiment(file, { target, overrides })));
      if (opts.memory) {
        process.stdout.write('without fusion:\n');
        process.stdout.write(
          printPlanSummary(compileExperiment(file, { target, fuse: false, overrides })).replace(
            /^(?=.)/gm,
            '  ',
          ),
        );
      }
    }),
  );

program
  .command('params')
  .description("list the model's parameters and buffers: names (torch's state_dict keys), shapes, counts")
  .argument('<file>', '.seg experiment file')
  .action((file: string) => guarded(() => void process.stdout.write(printParams(file))));

program
  .command('check')
  .description('parse, check and stage an experiment without running it')
  .argument('<file...>', '.seg experiment files')
  .option(
    '--explain',
    'after a clean check, print the loss terms and the documentation of every definition used',
  )
  .option('--data', "then scan each experiment's dataset: every sample decoded and checked, bad files named")
  .option(
    '--set <key=value>',
    'check with a param or setting overridden, as segc run would run it',
    parseSet,
    {},
  )
  .action((files: string[], opts: { explain?: boolean; data?: boolean; set: Record<string, Override> }) =>
    guarded(async () => {
      process.stderr.write(checkFiles(files, opts.set));
      if (opts.explain) process.stdout.write(files.map(explainFile).join('\n'));
      for (const file of opts.data ? files : []) {
        const result = await checkData(file);
        process.stdout.write(result.lines.map((line) => `${line}\n`).join(''));
        if (!result.ok) process.exitCode = 1;
      }
    }),
  );

program
  .command('fmt')
  .description('format .seg files in place (canonical layout, comments kept); skips files with syntax errors')
  .argument('<file...>', '.seg files')
  .option('--check', 'list the files that would change and exit 1 if any; write nothing')
  .option('--stdout', 'print the formatted text instead of rewriting the files')
  .action((files: string[], opts: { check?: boolean; stdout?: boolean }) =>
    guarded(() => formatFiles(files, opts)),
  );

program
  .command('doc')
  .description("print a module's definitions and experiments with their signatures and /// docs, as Markdown")
  .argument('<file>', '.seg module')
  .action((file: string) =>
    guarded(() => {
      process.stdout.write(documentFile(file));
    }),
  );

addSweepCommands(program, guarded);
addReportCommand(program, guarded);

await program.parseAsync(process.argv);
