// `segc check --set` and `segc plan --set` dry-run an override with `segc run`'s semantics (readRunConfig in
// compiler/config/run.ts): a bad value is the error run would give, a good one is staged (a size the network
// cannot take fails in staging), and `--set lr=...` points to `optimizer.lr`. Both commands refused --set.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCheck } from '../../cli/check.ts';

const quickstart = 'experiments/quickstart.seg';

describe('--set in segc check and segc plan', () => {
  it('a param or section key misplaced is pointed to the section option it names', () => {
    const lr = runCheck([quickstart], { lr: 3e-3 });
    expect(lr.exitCode).toBe(1);
    expect(lr.stderr).toContain("error SEG5043: Unknown param 'lr' in --set; params are alpha, T.");
    expect(lr.stderr).toContain(
      "hint: Did you mean 'optimizer.lr'? 'lr' is an option of optimizer, not a param.",
    );
    expect(runCheck([quickstart], { epoch: 3 }).stderr).toContain("hint: Did you mean 'train.epochs'?");
    // A param still gets its own suggestion.
    expect(runCheck([quickstart], { alpah: 2 }).stderr).toContain("hint: Did you mean 'alpha'?");
  });

  it('check applies the override as run would: checked, then staged with it', () => {
    expect(runCheck([quickstart], { 'optimizer.lr': 3e-3, alpha: 2 })).toEqual({ stderr: '', exitCode: 0 });
    expect(runCheck([quickstart], { 'optimizer.lr': -1 }).stderr).toContain(
      "Option 'lr' of 'adam' (in --set) must be a number > 0, got -1.",
    );
    // 12 x 12 pools twice to 3 x 3; 10 x 10 to 5 then 2, which the decoder's concat cannot join.
    expect(runCheck([quickstart], { 'data.size': [12, 12] }).exitCode).toBe(0);
    const odd = runCheck([quickstart], { 'data.size': [10, 10] });
    expect(odd.stderr).toContain("error SEG3004: Shape error in 'concat'");
  });

  it('segc plan --set takes the override (a process: the option exists)', () => {
    const plan = (set: string) =>
      spawnSync(process.execPath, ['bin/segc.mjs', 'plan', quickstart, '--target', 'cpu', '--set', set], {
        encoding: 'utf8',
      });
    const bad = plan('train.batch=0');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("Option 'batch' of 'train' (in --set) must be a whole number >= 1, got 0.");
    const good = plan('train.batch=2');
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/^train: \d+ kernels/);
  });
});
