# The issue-16 table from the lines of bench/paper-step.ts (segc) and ../shared/device/torch_paper.py (torch):
# train step, peak memory and eval images/s per network, with the ratios segc / PyTorch fp32 (TF32 off) and
# segc / PyTorch with TF32 on. Usage: python3 bench/paper-table.py segc.log torch.log > summary.md
import re, sys

LINE = re.compile(r'^(segc|torch) (\S+) (fp32|tf32) B=(\d+) (\d+)x(\d+): train step median ([\d.]+) ms, '
                  r'peak (\d+) MiB, eval forward ([\d.]+) ms \((\d+) img/s\)')
rows = {}
for path in sys.argv[1:]:
    for line in open(path, errors='replace'):
        m = LINE.match(line.strip())
        if m:
            who, net, mode, b, h, w, step, peak, _, ips = m.groups()
            rows.setdefault(net, {})[f'{who} {mode}'] = dict(step=float(step), peak=int(peak), ips=int(ips),
                                                            size=f'B={b} {h}x{w}')

def cell(r, key, field, fmt='{:.1f}'):
    return fmt.format(r[key][field]) if key in r else '-'

def ratio(r, a, b):
    return f"{r[a]['step'] / r[b]['step']:.2f}x" if a in r and b in r else '-'

print('| network | size | segc step ms | torch fp32 ms | segc/torch fp32 | torch tf32 ms | segc/torch tf32 '
      '| segc peak MiB | torch peak MiB (fp32) | segc eval img/s | torch eval img/s (fp32 / tf32) |')
print('|---|---|---|---|---|---|---|---|---|---|---|')
for net, r in rows.items():
    size = next(iter(r.values()))['size']
    print(f"| {net} | {size} | {cell(r, 'segc fp32', 'step')} | {cell(r, 'torch fp32', 'step')} | "
          f"{ratio(r, 'segc fp32', 'torch fp32')} | {cell(r, 'torch tf32', 'step')} | "
          f"{ratio(r, 'segc fp32', 'torch tf32')} | {cell(r, 'segc fp32', 'peak', '{}')} | "
          f"{cell(r, 'torch fp32', 'peak', '{}')} | {cell(r, 'segc fp32', 'ips', '{}')} | "
          f"{cell(r, 'torch fp32', 'ips', '{}')} / {cell(r, 'torch tf32', 'ips', '{}')} |")
