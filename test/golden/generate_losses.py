# Writes test/golden/losses/<loss>.json: PyTorch float64 values, terms and gradients w.r.t. the logits of the
# multiclass losses, computed from the upstream formulas (UPSTREAM.md §1.2-1.4). Run: /usr/bin/python3 test/golden/generate_losses.py
import json, os, zlib
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
EPS = 1e-10
OUT = os.path.join(os.path.dirname(__file__), 'losses')
MY = os.path.join(os.path.dirname(__file__), 'my_losses')


def proportion(x, y):
    v = (y != 255).unsqueeze(1).double()
    dims = tuple(range(2, x.dim()))
    return ((x * v).sum(dims) + EPS) / (v.sum(dims) + EPS)


def onehot(y, c):
    valid = y != 255
    t = F.one_hot(torch.where(valid, y, torch.zeros_like(y)), c).movedim(-1, 1).double()
    return t * valid.unsqueeze(1)


def ce(z, y):
    return F.cross_entropy(z, y, ignore_index=255)


def dice_terms(z, y, log_loss, smooth=0.0, eps=1e-7):
    c = z.shape[1]
    p = z.log_softmax(1).exp().flatten(2)
    m = (y != 255).flatten(1).unsqueeze(1).double()
    p = p * m
    t = onehot(y, c).flatten(2)
    inter = (p * t).sum((0, 2))
    card = (p + t).sum((0, 2))
    d = (2 * inter + smooth) / (card + smooth).clamp_min(eps)
    loss = -torch.log(d.clamp_min(eps)) if log_loss else 1 - d
    return (loss * (t.sum((0, 2)) > 0).double()).mean()


def focal(z, y, gamma=2.0):
    # smp 0.2.1 multiclass: sum over classes of the mean over non-ignored pixels of the sigmoid focal loss.
    total = 0.0
    valid = (y != 255)
    for c in range(z.shape[1]):
        logit = z[:, c][valid]
        target = (y[valid] == c).double()
        bce = F.binary_cross_entropy_with_logits(logit, target, reduction='none')
        pt = torch.exp(-bce)
        total = total + ((1 - pt).pow(gamma) * bce).mean()
    return total


def losses(z, y, alpha, T):
    c = z.shape[1]
    q = proportion(torch.softmax(T * z, 1), y)
    p = proportion(onehot(y, c), y)
    cross = ce(z, y)
    return {
        'ce': (cross, {}),
        'ce_l1': (cross + alpha * (q - p).abs().mean(), {'ce': cross, 'l1': (q - p).abs().mean()}),
        'ce_kl': (cross + alpha * (p * torch.log(p / q)).sum(1).mean(), {'ce': cross, 'kl': (p * torch.log(p / q)).sum(1).mean()}),
        'ce_db': (cross + alpha * torch.log(q + p + EPS).mean(), {'ce': cross, 'db': torch.log(q + p + EPS).mean()}),
        'dice': (dice_terms(z, y, False), {}),
        'soft_dice': (dice_terms(z, y, False), {}),
        'log_dice': (dice_terms(z, y, True), {}),
        'ce_dice': (cross + alpha * dice_terms(z, y, False), {'ce': cross, 'dice': dice_terms(z, y, False)}),
        'ce_log_dice': (cross + alpha * dice_terms(z, y, True), {'ce': cross, 'log_dice': dice_terms(z, y, True)}),
        'focal': (focal(z, y), {}),
        'focal_l1': (focal(z, y) + alpha * (q - p).abs().mean(), {'focal': focal(z, y), 'l1': (q - p).abs().mean()}),
        'focal_kl': (focal(z, y) + alpha * (p * torch.log(p / q)).sum(1).mean(), {'focal': focal(z, y), 'kl': (p * torch.log(p / q)).sum(1).mean()}),
        'focal_dice': (focal(z, y) + alpha * dice_terms(z, y, False), {'focal': focal(z, y), 'dice': dice_terms(z, y, False)}),
        'focal_log_dice': (focal(z, y) + alpha * dice_terms(z, y, True), {'focal': focal(z, y), 'log_dice': dice_terms(z, y, True)}),
        'tversky': (tversky_terms(torch.softmax(z, 1), onehot(y, c), (y != 255).unsqueeze(1).double()), {}),
        'gdice': (gdice(torch.softmax(z, 1), onehot(y, c), (y != 255).unsqueeze(1).double(), False), {}),
        'focal_tversky': (tversky_terms(torch.softmax(z, 1), onehot(y, c), (y != 255).unsqueeze(1).double(), 0.75), {}),
    }


def my_losses(z, y):
    # ../shared/spec/examples/my_losses.seg, with its defaults; term names as segc derives them.
    c = z.shape[1]
    v = (y != 255).unsqueeze(1).double()
    p = torch.softmax(z, 1) * v
    t = onehot(y, c)
    dims = (0,) + tuple(range(2, z.dim()))
    tp, fp, fn = (p * t).sum(dims), (p * (1 - t)).sum(dims), ((1 - p) * t).sum(dims)
    tversky = (1 - tp / (tp + 0.3 * fp + 0.7 * fn + 1e-7)).mean()
    cross = ce(z, y)
    q10, truth = proportion(torch.softmax(10 * z, 1), y), proportion(t, y)
    kl = (truth * torch.log(truth / q10)).sum(1).mean()
    floor = (-torch.log(torch.clamp(proportion(torch.softmax(z, 1), y) - 0.01, min=1e-6)) / 5.0).mean()
    return {
        'tversky': (tversky, {}),
        'ce_kl': (cross + kl, {'ce': cross, 'term2': kl}),
        'ce_floor': (cross + floor, {'ce': cross, 'term2': floor}),
    }


def tversky_terms(p, t, valid, gamma=None, a=0.3, b=0.7, eps=1e-7):
    p = (p * valid).flatten(2)
    t = t.flatten(2)
    tp = (p * t).sum((0, 2))
    index = tp / (tp + a * (p * (1 - t)).sum((0, 2)) + b * ((1 - p) * t).sum((0, 2)) + eps)
    return (1 - index).mean() if gamma is None else ((1 - index) ** gamma).mean()


def gdice(p, t, valid, binary):
    # Sudre et al. on [C, pixels]; binary appends the complement channel (upstream GeneralisedDiceLoss).
    p = (p * valid).movedim(1, 0).flatten(1)
    t = t.movedim(1, 0).flatten(1)
    v = valid.movedim(1, 0).flatten(1)
    if binary:
        p = torch.cat([p, (1 - p) * v])
        t = torch.cat([t, (1 - t) * v])
    w = 1 / (t.sum(1) ** 2).clamp_min(1e-7)
    return 1 - 2 * (w * (p * t).sum(1)).sum() / (w * (p + t).sum(1)).clamp_min(1e-7).sum()


def binary_losses(z, y, alpha, T):
    # One logit channel, labels 0/1 (255 ignored); upstream's binary formulas with ignore honoured (B1 fixed).
    valid = (y != 255).unsqueeze(1).double()
    t = (y == 1).unsqueeze(1).double()
    bce = F.binary_cross_entropy_with_logits(z, t, reduction='none')
    cross = (bce * valid).sum() / valid.sum()
    q = proportion(torch.sigmoid(T * z), y)
    p = proportion(t, y)
    kl = ((p * torch.log(p / q)).sum(1) + ((1 - p) * torch.log((1 - p) / (1 - q))).sum(1)).mean()
    pt = torch.exp(-bce)
    focal_value = ((1 - pt) ** 2 * bce * valid).sum() / valid.sum()

    def dice(log_loss, smooth=0.0, eps=1e-7):
        pr = (torch.sigmoid(z) * valid).flatten(2)
        tt = (t * valid).flatten(2)
        d = (2 * (pr * tt).sum((0, 2)) + smooth) / ((pr + tt).sum((0, 2)) + smooth).clamp_min(eps)
        loss = -torch.log(d.clamp_min(eps)) if log_loss else 1 - d
        return (loss * (tt.sum((0, 2)) > 0).double()).mean()

    l1 = (q - p).abs().mean()
    db = torch.log(q + p + EPS).mean()
    return {
        'ce': (cross, {}),
        'bce': (cross, {}),
        'ce_l1': (cross + alpha * l1, {'ce': cross, 'l1': l1}),
        'bce_l1': (cross + alpha * l1, {'ce': cross, 'l1': l1}),
        'ce_kl': (cross + alpha * kl, {'ce': cross, 'kl': kl}),
        'ce_db': (cross + alpha * db, {'ce': cross, 'db': db}),
        'dice': (dice(False), {}),
        'soft_dice': (dice(False), {}),
        'log_dice': (dice(True), {}),
        'ce_dice': (cross + alpha * dice(False), {'ce': cross, 'dice': dice(False)}),
        'ce_log_dice': (cross + alpha * dice(True), {'ce': cross, 'log_dice': dice(True)}),
        'focal': (focal_value, {}),
        'focal_l1': (focal_value + alpha * l1, {'focal': focal_value, 'l1': l1}),
        'focal_kl': (focal_value + alpha * kl, {'focal': focal_value, 'kl': kl}),
        'focal_dice': (focal_value + alpha * dice(False), {'focal': focal_value, 'dice': dice(False)}),
        'focal_log_dice': (focal_value + alpha * dice(True), {'focal': focal_value, 'log_dice': dice(True)}),
        'tversky': (tversky_terms(torch.sigmoid(z), t, valid), {}),
        'gdice': (gdice(torch.sigmoid(z), t, valid, True), {}),
        'focal_tversky': (tversky_terms(torch.sigmoid(z), t, valid, 0.75), {}),
    }


def case(name, shape, ignored, all_ignored_image, alpha, T):
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    z = (torch.rand(shape, generator=g) * 5 - 2.5).requires_grad_(True)
    label_shape = (shape[0],) + tuple(shape[2:])
    y = torch.randint(0, max(shape[1], 2), label_shape, generator=g)
    if ignored:
        y[torch.rand(label_shape, generator=g) < 0.2] = 255
    if all_ignored_image:
        y[0] = 255
    return name, z, y, alpha, T


def main():
    cases = [
        case('2d', (2, 3, 5, 7), False, False, 1.0, 1.0),
        case('2d_ignore', (2, 3, 5, 7), True, False, 1.0, 1.0),
        case('2d_ignore_T10_alpha2', (2, 3, 5, 7), True, False, 2.0, 10.0),
        case('2d_image_all_ignored', (2, 4, 4, 6), True, True, 1.0, 1.0),
        case('3d_ignore', (2, 3, 3, 4, 5), True, False, 1.0, 1.0),
        case('3d_T10', (1, 2, 4, 3, 5), False, False, 0.5, 10.0),
    ]
    binary = [
        case('binary_2d_ignore', (2, 1, 5, 7), True, False, 1.0, 1.0),
        case('binary_2d_T10_alpha2', (2, 1, 6, 5), True, False, 2.0, 10.0),
        case('binary_3d', (2, 1, 3, 4, 5), False, False, 1.0, 1.0),
    ]
    mixed = lambda z, y, alpha, T: (binary_losses if z.shape[1] == 1 else losses)(z, y, alpha, T)
    write(OUT, cases + binary, mixed)
    write(MY, cases, lambda z, y, alpha, T: my_losses(z, y))


def write(directory, cases, compute):
    results = {}
    for name, z, y, alpha, T in cases:
        for loss, (value, terms) in compute(z, y, alpha, T).items():
            grad, = torch.autograd.grad(value, z, retain_graph=True)
            results.setdefault(loss, []).append({
                'name': name,
                'params': {'alpha': alpha, 'T': T},
                'z': {'shape': list(z.shape), 'data': z.detach().flatten().tolist()},
                'y': {'shape': list(y.shape), 'data': y.flatten().tolist()},
                'loss': value.item(),
                'terms': {k: v.item() for k, v in terms.items()},
                'grad_z': grad.flatten().tolist(),
            })
    os.makedirs(directory, exist_ok=True)
    for loss, entries in results.items():
        with open(os.path.join(directory, f'{loss}.json'), 'w') as f:
            json.dump(entries, f)
    print(f'wrote {len(results)} losses x {len(cases)} cases to {directory} (torch {torch.__version__})')


main()
