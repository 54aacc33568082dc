# Writes test/golden/losses/<loss>.json: PyTorch float64 values, terms and gradients w.r.t. the logits (and the class
# weights) of every std/losses loss, computed from the upstream formulas (UPSTREAM.md §1.2-1.5, §1.8) with segc's
# documented deviations (ignore honoured everywhere, Bernoulli KL in multilabel mode, log-Dice in focal_log_dice).
# Cases: every loss x mode (multiclass, binary, multilabel) x {no ignore, some ignored, an image all ignored} x
# {no weights, weights} (losses with `w`) x {T = 1, T = 10} (losses with `T`) x {2-D, 3-D}.
# Also writes test/golden/my_losses/<loss>.json for ../shared/spec/examples/my_losses.seg.
# Run: /usr/bin/python3 test/golden/generate_losses.py
import itertools, json, os, zlib
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
EPS = 1e-10
OUT = os.path.join(os.path.dirname(__file__), 'losses')
MY = os.path.join(os.path.dirname(__file__), 'my_losses')
IGNORE = 255

# Which options each loss has, and the modes it serves (focal3d is multiclass only; bce/bce_l1 are sigmoid modes).
WITH_T = {'ce_l1', 'ce_kl', 'ce_db', 'focal_l1', 'focal_kl', 'bce_l1'}
WITH_W = {'ce', 'bce', 'ce_l1', 'bce_l1', 'ce_kl', 'ce_db', 'ce_dice', 'ce_log_dice'}
MODES = {'focal3d': ['multiclass'], 'bce': ['binary', 'multilabel'], 'bce_l1': ['binary', 'multilabel']}
LOSSES = ['ce', 'bce', 'ce_l1', 'bce_l1', 'ce_kl', 'ce_db', 'dice', 'soft_dice', 'log_dice', 'ce_dice', 'ce_log_dice',
          'focal', 'focal3d', 'focal_l1', 'focal_kl', 'focal_dice', 'focal_log_dice', 'tversky', 'focal_tversky',
          'gdice']


class Parts:
    """The shared pieces of every loss for one batch: probabilities, targets and the valid mask in the mode's shape."""

    def __init__(self, z, y, mode, w):
        self.z, self.mode, self.c = z, mode, z.shape[1]
        self.sigmoid = mode != 'multiclass'
        if mode == 'multilabel':  # masks [N,C,S]: one valid flag per entry
            self.v = (y != IGNORE).double()
            self.t = (y == 1).double()
        else:  # labels [N,S]: one valid flag per pixel, broadcast over C
            self.v = (y != IGNORE).unsqueeze(1).double()
            if mode == 'binary':
                self.t = (y == 1).unsqueeze(1).double()
            else:
                safe = torch.where(y != IGNORE, y, torch.zeros_like(y))
                self.t = F.one_hot(safe, self.c).movedim(-1, 1).double() * self.v
        self.y, self.w = y, w
        self.spatial = tuple(range(2, z.dim()))

    def probabilities(self, z):
        return torch.sigmoid(z) if self.sigmoid else torch.softmax(z, 1)

    def ce(self):
        if self.sigmoid:
            w = 1 if self.w is None else self.w.view(-1, *([1] * len(self.spatial)))
            bce = F.binary_cross_entropy_with_logits(self.z, self.t, reduction='none')
            return (w * bce * self.v).sum() / self.v.expand_as(self.z).sum()
        reference = F.cross_entropy(self.z, self.y, weight=None if self.w is None else self.w.detach(), ignore_index=IGNORE)
        if self.w is None:
            return reference
        # Written out so the gradient w.r.t. the weights exists too (torch's nll_loss has none); same value.
        nll = -(self.t * torch.log_softmax(self.z, 1)).sum(1)
        wy = (self.w.view(1, -1, *([1] * len(self.spatial))) * self.t).sum(1)
        value = (wy * nll).sum() / wy.sum()
        assert torch.allclose(value, reference), (value, reference)
        return value

    def proportion(self, x):
        v = self.v.expand_as(x)
        return ((x * v).sum(self.spatial) + EPS) / (v.sum(self.spatial) + EPS)

    def proportions(self, T):
        return self.proportion(self.probabilities(T * self.z)), self.proportion(self.t)

    def l1(self, T):
        q, p = self.proportions(T)
        return (q - p).abs().mean()

    def kl(self, T):
        q, p = self.proportions(T)
        kl = (p * torch.log(p / q)).sum(1).mean()
        if self.sigmoid:
            # Bernoulli KL per class (upstream: binary only, quirk Q2), on the complement's own proportions (with
            # EPS) so that an image with no valid pixel, or with every valid pixel positive, stays finite.
            qb, pb = self.proportion(1 - self.probabilities(T * self.z)), self.proportion(1 - self.t)
            kl = kl + (pb * torch.log(pb / qb)).sum(1).mean()
        return kl

    def db(self, T):
        q, p = self.proportions(T)
        return torch.log(q + p + EPS).mean()

    def batch_sums(self, x):
        return x.movedim(1, 0).flatten(1).sum(1)  # over N and pixels: one value per class

    def dice(self, log_loss, smooth=0.0, eps=1e-7):
        p = self.probabilities(self.z) * self.v
        d = (2 * self.batch_sums(p * self.t) + smooth) / (self.batch_sums(p + self.t) + smooth).clamp_min(eps)
        loss = -torch.log(d.clamp_min(eps)) if log_loss else 1 - d
        return (loss * (self.batch_sums(self.t) > 0).double()).mean()

    def focal(self, gamma=2.0):
        # smp 0.2.1: multiclass sums the per-class means over valid pixels; binary/multilabel average valid entries.
        bce = F.binary_cross_entropy_with_logits(self.z, self.t, reduction='none')
        pt = torch.exp(-bce)
        return ((1 - pt) ** gamma * bce * self.v).sum() / self.v.sum()

    def focal3d(self, gamma=2.0, smooth=1e-5):
        # Hsuxu FocalLoss as nnU-Net's losses use it (softmax, clamped one-hot), averaged over valid voxels.
        p = torch.softmax(self.z, 1)
        t = self.t.clamp(smooth / (self.c - 1), 1 - smooth)
        pt = (t * p).sum(1) + smooth
        v = self.v.squeeze(1)
        return (-((1 - pt) ** gamma) * torch.log(pt) * v).sum() / v.sum()

    def tversky(self, gamma=None, a=0.3, b=0.7, eps=1e-7):
        p = self.probabilities(self.z) * self.v
        tp = self.batch_sums(p * self.t)
        index = tp / (tp + a * self.batch_sums(p * (1 - self.t)) + b * self.batch_sums((1 - p) * self.t) + eps)
        return (1 - index).mean() if gamma is None else ((1 - index) ** gamma).mean()

    def gdice(self, eps=1e-7):
        # Sudre et al. per class over the batch; with one channel the background channel is added (upstream GDL).
        v = self.v.expand_as(self.z)
        p = (self.probabilities(self.z) * v).movedim(1, 0).flatten(1)
        t = self.t.movedim(1, 0).flatten(1)
        if self.c == 1:
            vv = v.movedim(1, 0).flatten(1)
            p = torch.cat([p, (1 - p) * vv])
            t = torch.cat([t, (1 - t) * vv])
        w = 1 / (t.sum(1) ** 2).clamp_min(eps)
        return 1 - 2 * (w * (p * t).sum(1)).sum() / (w * (p + t).sum(1)).clamp_min(eps).sum()


def compute(loss, parts, alpha, T):
    """(value, terms) of one loss; terms are named as segc derives them."""
    ce = parts.ce
    table = {
        'ce': lambda: (ce(), {}),
        'bce': lambda: (ce(), {}),
        'ce_l1': lambda: (ce() + alpha * parts.l1(T), {'ce': ce(), 'l1': parts.l1(T)}),
        'bce_l1': lambda: (ce() + alpha * parts.l1(T), {'ce': ce(), 'l1': parts.l1(T)}),
        'ce_kl': lambda: (ce() + alpha * parts.kl(T), {'ce': ce(), 'kl': parts.kl(T)}),
        'ce_db': lambda: (ce() + alpha * parts.db(T), {'ce': ce(), 'db': parts.db(T)}),
        'dice': lambda: (parts.dice(False), {}),
        'soft_dice': lambda: (parts.dice(False), {}),
        'log_dice': lambda: (parts.dice(True), {}),
        'ce_dice': lambda: (ce() + alpha * parts.dice(False), {'ce': ce(), 'dice': parts.dice(False)}),
        'ce_log_dice': lambda: (ce() + alpha * parts.dice(True), {'ce': ce(), 'log_dice': parts.dice(True)}),
        'focal': lambda: (parts.focal(), {}),
        'focal3d': lambda: (parts.focal3d(), {}),
        'focal_l1': lambda: (parts.focal() + alpha * parts.l1(T), {'focal': parts.focal(), 'l1': parts.l1(T)}),
        'focal_kl': lambda: (parts.focal() + alpha * parts.kl(T), {'focal': parts.focal(), 'kl': parts.kl(T)}),
        'focal_dice': lambda: (parts.focal() + alpha * parts.dice(False), {'focal': parts.focal(), 'dice': parts.dice(False)}),
        'focal_log_dice': lambda: (parts.focal() + alpha * parts.dice(True), {'focal': parts.focal(), 'log_dice': parts.dice(True)}),
        'tversky': lambda: (parts.tversky(), {}),
        'focal_tversky': lambda: (parts.tversky(0.75), {}),
        'gdice': lambda: (parts.gdice(), {}),
    }
    return table[loss]()


def batch(name, mode, dims, ignore):
    """Logits in U(-2.5, 2.5) and labels (or masks) for one case, seeded by its name."""
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    c = {'multiclass': 3 if dims == 2 else 4, 'binary': 1, 'multilabel': 3}[mode]
    spatial = (5, 7) if dims == 2 else (3, 4, 5)
    z = torch.rand((2, c) + spatial, generator=g) * 5 - 2.5
    shape = (2, c) + spatial if mode == 'multilabel' else (2,) + spatial
    y = torch.randint(0, 2 if mode != 'multiclass' else c, shape, generator=g)
    if ignore != 'none':
        y[torch.rand(shape, generator=g) < 0.2] = IGNORE
    if ignore == 'image':
        y[0] = IGNORE
    w = torch.rand(c, generator=g) + 0.5
    return z, y, w


def stdlib_cases():
    results = {}
    for loss in LOSSES:
        modes = MODES.get(loss, ['multiclass', 'binary', 'multilabel'])
        weights = [False, True] if loss in WITH_W else [False]
        temps = [1.0, 10.0] if loss in WITH_T else [1.0]
        for mode, dims, ignore, weighted, T in itertools.product(modes, [2, 3], ['none', 'some', 'image'], weights, temps):
            name = f'{mode}_{dims}d_ignore-{ignore}' + ('_w' if weighted else '') + ('_T10' if T == 10 else '')
            z, y, w = batch(f'{loss} {name}', mode, dims, ignore)
            alpha = 2.0 if T == 10 else 1.0
            z.requires_grad_(True)
            w.requires_grad_(weighted)
            # T is an input too where the loss has it, so its gradient is checked (autodiff through a scalar).
            t = torch.tensor(T, requires_grad=True)
            value, terms = compute(loss, Parts(z, y, mode, w if weighted else None), alpha, t)
            inputs = [z] + ([w] if weighted else []) + ([t] if loss in WITH_T else [])
            grads = torch.autograd.grad(value, inputs, allow_unused=True)
            entry = record(name, {'alpha': alpha, 'T': T}, z, y, value, terms, grads[0])
            entry['mode'] = mode
            if weighted:
                entry['w'] = w.detach().tolist()
                entry['grad_w'] = grads[1].tolist()
            if loss in WITH_T:
                entry['grad_T'] = grads[-1].item()
            results.setdefault(loss, []).append(entry)
    return results


def my_losses(z, y):
    # ../shared/spec/examples/my_losses.seg, with its defaults; term names as segc derives them.
    parts = Parts(z, y, 'multiclass', None)
    p, t = torch.softmax(z, 1) * parts.v, parts.t
    dims = (0,) + parts.spatial
    tp, fp, fn = (p * t).sum(dims), (p * (1 - t)).sum(dims), ((1 - p) * t).sum(dims)
    tversky = (1 - tp / (tp + 0.3 * fp + 0.7 * fn + 1e-7)).mean()
    cross = parts.ce()
    q10, truth = parts.proportion(torch.softmax(10 * z, 1)), parts.proportion(t)
    kl = (truth * torch.log(truth / q10)).sum(1).mean()
    floor = (-torch.log(torch.clamp(parts.proportion(torch.softmax(z, 1)) - 0.01, min=1e-6)) / 5.0).mean()
    return {
        'tversky': (tversky, {}),
        'ce_kl': (cross + kl, {'ce': cross, 'term2': kl}),
        'ce_floor': (cross + floor, {'ce': cross, 'term2': floor}),
    }


def my_losses_cases():
    results = {}
    for dims, ignore in itertools.product([2, 3], ['none', 'some', 'image']):
        name = f'multiclass_{dims}d_ignore-{ignore}'
        z, y, _ = batch(f'my_losses {name}', 'multiclass', dims, ignore)
        z.requires_grad_(True)
        for loss, (value, terms) in my_losses(z, y).items():
            grad, = torch.autograd.grad(value, z, retain_graph=True)
            results.setdefault(loss, []).append(record(name, {}, z, y, value, terms, grad))
    return results


def record(name, params, z, y, value, terms, grad_z):
    return {
        'name': name,
        'params': params,
        'z': {'shape': list(z.shape), 'data': z.detach().flatten().tolist()},
        'y': {'shape': list(y.shape), 'data': y.flatten().tolist()},
        'loss': value.item(),
        'terms': {k: v.item() for k, v in terms.items()},
        'grad_z': grad_z.flatten().tolist(),
    }


def write(directory, results):
    os.makedirs(directory, exist_ok=True)
    for old in os.listdir(directory):
        os.remove(os.path.join(directory, old))
    for loss, entries in results.items():
        with open(os.path.join(directory, f'{loss}.json'), 'w') as f:
            json.dump(entries, f, separators=(',', ':'))
    count = sum(len(e) for e in results.values())
    print(f'wrote {count} cases of {len(results)} losses to {directory} (torch {torch.__version__})')


write(OUT, stdlib_cases())
write(MY, my_losses_cases())
