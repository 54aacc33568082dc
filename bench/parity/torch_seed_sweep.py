# Quickstart's reliability in PyTorch: the quickstart U-Net trained from PyTorch's own initialisation (seeds 1-6) for
# quickstart's 80 Adam steps, with CE alone, CE + L1 at T = 10 (quickstart's loss) or at T = 1; prints each seed's
# foreground Dice with eval-mode and with train-mode batch norm (to tell an optimisation failure from running
# statistics that lag). Needs the data dump of bench/parity/dump-quickstart.ts (runs/parity).
# Run: /usr/bin/python3 bench/parity/torch_seed_sweep.py ce|l1t10|l1t1 [lr] [epochs]
import json, sys
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(2)
meta = json.load(open('runs/parity/init.json'))
h, w = meta['size']
def load(split, n):
    img = np.fromfile(f'runs/parity/{split}_images.bin', np.uint8).reshape(n, 3, h, w)
    lab = np.fromfile(f'runs/parity/{split}_labels.bin', np.uint8).reshape(n, h, w)
    return torch.tensor((img / 255.0 - 0.5) / 0.25, dtype=torch.float32), torch.tensor(lab, dtype=torch.long)
xt, yt = load('train', meta['count'][0]); xv, yv = load('val', meta['count'][1])
def cbr(i, o): return nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU())
class UNet(nn.Module):
    def __init__(s, w=(8, 16, 32), c=3):
        super().__init__()
        s.d1 = nn.Sequential(cbr(3, w[0]), cbr(w[0], w[0])); s.d2 = nn.Sequential(cbr(w[0], w[1]), cbr(w[1], w[1]))
        s.b = nn.Sequential(cbr(w[1], w[2]), cbr(w[2], w[2])); s.u2 = nn.Sequential(cbr(w[2] + w[1], w[1]), cbr(w[1], w[1]))
        s.u1 = nn.Sequential(cbr(w[1] + w[0], w[0]), cbr(w[0], w[0])); s.h = nn.Conv2d(w[0], c, 1)
    def forward(s, x):
        a = s.d1(x); b = s.d2(F.max_pool2d(a, 2)); x = s.b(F.max_pool2d(b, 2))
        x = s.u2(torch.cat([F.interpolate(x, scale_factor=2), b], 1)); x = s.u1(torch.cat([F.interpolate(x, scale_factor=2), a], 1))
        return s.h(x)
def proportion(p, y):
    v = (y != 255).float().unsqueeze(1)
    return ((p * v).sum((2, 3)) + 1e-10) / (v.sum((2, 3)) + 1e-10)
def loss_fn(z, y, alpha, T):
    ce = F.cross_entropy(z, y, ignore_index=255)
    if alpha == 0: return ce
    l1 = (proportion(torch.softmax(T * z, 1), y) - proportion(F.one_hot(y, 3).permute(0, 3, 1, 2).float(), y)).abs().mean()
    return ce + alpha * l1
variant = sys.argv[1]; lr = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-3; epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 5; alpha, T = {'ce': (0, 1), 'l1t10': (1, 10), 'l1t1': (1, 1)}[variant]
for seed in range(1, 7):
    torch.manual_seed(seed); m = UNet(); opt = torch.optim.Adam(m.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs, 1e-5)
    g = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        m.train(); perm = torch.randperm(len(xt), generator=g)
        for k in range(len(xt) // 16):
            idx = perm[k * 16:(k + 1) * 16]
            loss = loss_fn(m(xt[idx]), yt[idx], alpha, T); opt.zero_grad(); loss.backward(); opt.step()
        sched.step()
    def dice(p):
        return [2 * ((p == c) & (yv == c)).sum().item() / ((p == c).sum().item() + (yv == c).sum().item() + 1e-10) for c in (1, 2)]
    m.eval()
    with torch.no_grad(): d = dice(m(xv).argmax(1))
    m.train()
    with torch.no_grad(): t = dice(torch.cat([m(xv[i:i + 16]) for i in range(0, len(xv), 16)]).argmax(1))
    print(variant, lr, seed, f'{sum(d) / 2:.3f}', [round(v, 3) for v in d], 'train-mode BN', [round(v, 3) for v in t], flush=True)
