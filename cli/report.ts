// segc report DIR... --out report.html [--figures DIR]: the comparison of runs and sweeps as one HTML file.
import type { Command } from 'commander';
import { writeReport } from '../report/index.ts';

type Guarded = (body: () => Promise<void> | void) => Promise<void>;

export function addReportCommand(program: Command, guarded: Guarded): void {
  program
    .command('report')
    .description('one self-contained HTML report (tables and figures) over run and sweep folders')
    .argument('<dirs...>', 'run folders (segc run) or sweep folders (segc sweep)')
    .option('--out <file>', 'the HTML file', 'report.html')
    .option('--figures <dir>', 'also write each figure as SVG and PNG here')
    .option('--title <text>', 'the report title')
    .action((dirs: string[], opts: { out: string; figures?: string; title?: string }) =>
      guarded(async () => {
        const result = await writeReport(dirs, opts);
        const figures = opts.figures ? ` and ${result.figures.length} figures in ${opts.figures}` : '';
        process.stdout.write(`segc: report of ${result.runs} runs in ${opts.out}${figures}\n`);
      }),
    );
}
