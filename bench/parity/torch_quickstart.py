# The quickstart U-Net (widths 8-16-32, BN, ReLU, nearest upsampling) and loss (CE + L1 of proportions, T = 10) in
# PyTorch, started from segc's initial weights (runs/parity, from dump-quickstart.ts): prints the first 20 losses on
# one repeated batch, then trains 5 epochs like quickstart and prints the foreground Dice.
# Run: /usr/bin/python3 bench/parity/torch_quickstart.py [lr]
import json, sys
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

lr = float(sys.argv[1]) if len(sys.argv) > 1 else 1e-3
meta = json.load(open('runs/parity/init.json'))
h, w = meta['size']


def load(split, n):
    img = np.fromfile(f'runs/parity/{split}_images.bin', np.uint8).reshape(n, 3, h, w)
    lab = np.fromfile(f'runs/parity/{split}_labels.bin', np.uint8).reshape(n, h, w)
    return torch.tensor((img / 255.0 - 0.5) / 0.25, dtype=torch.float32), torch.tensor(lab, dtype=torch.long)


xt, yt = load('train', meta['count'][0])
xv, yv = load('val', meta['count'][1])


def cbr(i, o):
    return nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU())


class UNet(nn.Module):
    def __init__(s, w=(8, 16, 32), c=3):
        super().__init__()
        s.d1 = nn.Sequential(cbr(3, w[0]), cbr(w[0], w[0]))
        s.d2 = nn.Sequential(cbr(w[0], w[1]), cbr(w[1], w[1]))
        s.b = nn.Sequential(cbr(w[1], w[2]), cbr(w[2], w[2]))
        s.u2 = nn.Sequential(cbr(w[2] + w[1], w[1]), cbr(w[1], w[1]))
        s.u1 = nn.Sequential(cbr(w[1] + w[0], w[0]), cbr(w[0], w[0]))
        s.h = nn.Conv2d(w[0], c, 1)

    def forward(s, x):
        a = s.d1(x)
        b = s.d2(F.max_pool2d(a, 2))
        x = s.b(F.max_pool2d(b, 2))
        x = s.u2(torch.cat([F.interpolate(x, scale_factor=2), b], 1))
        x = s.u1(torch.cat([F.interpolate(x, scale_factor=2), a], 1))
        return s.h(x)


def proportion(p, y):
    v = (y != 255).float().unsqueeze(1)
    return ((p * v).sum((2, 3)) + 1e-10) / (v.sum((2, 3)) + 1e-10)


def loss_fn(z, y):
    ce = F.cross_entropy(z, y, ignore_index=255)
    l1 = (proportion(torch.softmax(10 * z, 1), y) - proportion(F.one_hot(y, 3).permute(0, 3, 1, 2).float(), y)).abs().mean()
    return ce + l1


def fresh():
    m = UNet()
    state = m.state_dict()
    names = [n for n in state if 'num_batches' not in n]
    for name, entry in zip(names, meta['weights']):  # same creation order as segc's unet
        state[name].copy_(torch.tensor(entry['data']).reshape(state[name].shape))
    return m


m = fresh()
opt = torch.optim.Adam(m.parameters(), lr=lr)
print('first 20 steps on the first batch:', end=' ')
for _ in range(20):
    loss = loss_fn(m(xt[:16]), yt[:16])
    opt.zero_grad(); loss.backward(); opt.step()
    print(round(loss.item(), 4), end=' ')
print()
m = fresh()
opt = torch.optim.Adam(m.parameters(), lr=lr)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 5, 1e-5)
ces = []
for epoch in range(5):
    m.train()
    for k in range(len(xt) // 16):
        z, y = m(xt[k * 16:(k + 1) * 16]), yt[k * 16:(k + 1) * 16]
        loss = loss_fn(z, y)
        ces.append(F.cross_entropy(z, y).item())
        opt.zero_grad(); loss.backward(); opt.step()
    sched.step()
    m.eval()
    with torch.no_grad():
        p = m(xv).argmax(1)
    dice = [2 * ((p == c) & (yv == c)).sum().item() / ((p == c).sum().item() + (yv == c).sum().item() + 1e-10) for c in (1, 2)]
    print(f'epoch {epoch + 1}: train ce {sum(ces[-16:]) / 16:.4f}, foreground dice {sum(dice) / 2:.4f} {[round(d, 3) for d in dice]}')
