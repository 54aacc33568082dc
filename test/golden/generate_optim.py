"""Writes test/golden/optim/trajectories.json and schedules.json from torch.optim and torch.optim.lr_scheduler.

trajectories.json: a two-layer tanh network (enc: 3 -> 4, head: 4 -> 2, mean squared error) trained for 20
steps on fixed batches, in float64, for each optimizer and option (momentum, dampening, Nesterov, weight
decay, parameter groups, frozen parameters, clipping by global norm, gradient accumulation, a per-iteration
poly schedule); the parameters after every step.
schedules.json: learning rates over 100 epochs of each schedule, and ReduceLROnPlateau's decisions on a
scripted sequence of validation values. Poly is upstream's PolyLR formula (SegLossBias
solver/lr_scheduler.py, warmup 0), stepped as its trainer steps it.

Run with /usr/bin/python3 (it has torch); the output is identical on every run. CI reads the JSON only.
"""
import json
import math
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "optim")
DTYPE = torch.float64
STEPS = 20
N, I, H, O = 6, 3, 4, 2
NAMES = ["enc.weight", "enc.bias", "head.weight", "head.bias"]


def flat(tensor):
    return [float(v) for v in tensor.detach().reshape(-1).tolist()]


def data():
    generator = torch.Generator()
    generator.manual_seed(13)
    init = {
        "enc.weight": torch.randn(H, I, generator=generator, dtype=DTYPE) * 0.8,
        "enc.bias": torch.randn(H, generator=generator, dtype=DTYPE) * 0.3,
        "head.weight": torch.randn(O, H, generator=generator, dtype=DTYPE) * 0.8,
        "head.bias": torch.randn(O, generator=generator, dtype=DTYPE) * 0.3,
    }
    xs = torch.randn(STEPS * 4, N, I, generator=generator, dtype=DTYPE)
    ys = torch.randn(STEPS * 4, N, O, generator=generator, dtype=DTYPE)
    return init, xs, ys


def loss_of(p, x, y):
    h = torch.tanh(x @ p["enc.weight"].T + p["enc.bias"])
    out = h @ p["head.weight"].T + p["head.bias"]
    return ((out - y) ** 2).mean()


def poly_lr(base, minimum, power, t, total):
    """Upstream PolyLR.get_lr with warmup 0: (base - min) * (1 - t / N)^power + min, 0 past N."""
    coeff = (1 - t / total) ** power if t < total else 0
    return (base - minimum) * coeff + minimum


def trajectory(case, init, xs, ys):
    params = {k: v.clone().requires_grad_(k not in case.get("frozen", [])) for k, v in init.items()}
    make = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[case["optimizer"]]
    options = dict(case["settings"])
    if "betas" in options:
        options["betas"] = tuple(options["betas"])
    trainable = [k for k in NAMES if k not in case.get("frozen", [])]
    groups = []
    for group in case.get("groups", []):
        members = [k for k in trainable if k.startswith(group["prefix"]) and (group.get("of") != "biases_and_norms" or params[k].dim() == 1)]
        members = [k for k in members if not any(k in g["keys"] for g in groups)]
        groups.append({"keys": members, **{key: group[key] for key in ("lr", "weight_decay") if key in group}})
    rest = [k for k in trainable if not any(k in g["keys"] for g in groups)]
    groups.append({"keys": rest})
    groups = [g for g in groups if g["keys"]]
    torch_groups = [{"params": [params[k] for k in g["keys"]], **{k: v for k, v in g.items() if k != "keys"}} for g in groups]
    optimizer = make(torch_groups, **options)
    accumulate = case.get("accumulate", 1)
    micro = case.get("micro_steps", STEPS)
    after = []
    lrs = []
    base = [g["lr"] for g in optimizer.param_groups]
    for step in range(micro):
        update = step // accumulate
        if case.get("poly"):
            for g, b in zip(optimizer.param_groups, base):
                g["lr"] = poly_lr(b, case["poly"]["min"], case["poly"]["power"], update, micro // accumulate)
        loss = loss_of(params, xs[step], ys[step]) / accumulate
        loss.backward()
        if (step + 1) % accumulate == 0:
            if "clip" in case:
                torch.nn.utils.clip_grad_norm_([params[k] for k in trainable], case["clip"])
            lrs.append([g["lr"] for g in optimizer.param_groups])
            optimizer.step()
            optimizer.zero_grad()
        after.append({k: flat(v) for k, v in params.items()})
    return {**case, "trajectory": after, "lrs": lrs}


CASES = [
    {"name": "sgd", "optimizer": "sgd", "settings": {"lr": 0.1}},
    {"name": "sgd momentum dampening decay", "optimizer": "sgd", "settings": {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01}},
    {"name": "sgd nesterov decay", "optimizer": "sgd", "settings": {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-4}},
    {"name": "adam", "optimizer": "adam", "settings": {"lr": 0.02}},
    {"name": "adam decay betas eps", "optimizer": "adam", "settings": {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 1e-2}},
    {"name": "adamw", "optimizer": "adamw", "settings": {"lr": 0.02, "weight_decay": 0.1}},
    {
        "name": "sgd groups",
        "optimizer": "sgd",
        "settings": {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-2},
        "groups": [{"prefix": "", "of": "biases_and_norms", "weight_decay": 0.0}, {"prefix": "enc.", "lr": 0.01}],
    },
    {
        "name": "adamw groups",
        "optimizer": "adamw",
        "settings": {"lr": 0.02, "weight_decay": 0.1},
        "groups": [{"prefix": "enc.", "lr": 0.005}, {"prefix": "head.bias", "weight_decay": 0.0}],
    },
    {"name": "adam frozen", "optimizer": "adam", "settings": {"lr": 0.02}, "frozen": ["enc.weight", "enc.bias"]},
    {"name": "sgd momentum clip", "optimizer": "sgd", "settings": {"lr": 0.1, "momentum": 0.9}, "clip": 0.05},
    {"name": "adam accumulate", "optimizer": "adam", "settings": {"lr": 0.02}, "accumulate": 4, "micro_steps": 40},
    {"name": "sgd accumulate clip", "optimizer": "sgd", "settings": {"lr": 0.1, "momentum": 0.9}, "accumulate": 2, "micro_steps": 40, "clip": 0.05},
    {
        "name": "sgd nesterov poly",
        "optimizer": "sgd",
        "settings": {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-4},
        "poly": {"power": 0.9, "min": 1e-3},
    },
]


def lr_sequence(make, epochs=100, base=(0.1, 0.01), per_epoch=1):
    """lrs of both groups at every step (epoch or iteration), from a torch scheduler stepped once per step."""
    params = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    optimizer = torch.optim.SGD([{"params": [params[0]], "lr": base[0]}, {"params": [params[1]], "lr": base[1]}])
    scheduler = make(optimizer)
    out = []
    for _ in range(epochs * per_epoch):
        out.append([g["lr"] for g in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    return out


def upstream_poly(per, power, minimum, epochs=100, iterations=7, base=(0.1, 0.01)):
    """Upstream steps PolyLR after every iteration (or epoch); the lr of step t is poly_lr(t)."""
    total = epochs * iterations if per == "iteration" else epochs
    return [[poly_lr(b, minimum, power, t, total) for b in base] for t in range(total)]


def plateau(mode, values, **options):
    params = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    optimizer = torch.optim.SGD([{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.01}])
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode=mode, **options)
    out = []
    for value in values:
        out.append([g["lr"] for g in optimizer.param_groups])
        scheduler.step(value)
    return out


def scripted_values():
    """A validation loss that falls, plateaus, rises, falls again (with small relative changes near 1e-4)."""
    values = []
    for e in range(100):
        v = 1.0 / (1 + 0.1 * e) + 0.02 * math.sin(e * 1.3)
        if 40 <= e < 60:
            v = 0.3 + 0.00002 * (e % 3)
        values.append(round(v, 6))
    return values


def schedules():
    cases = []
    add = lambda name, schedule, lrs, **extra: cases.append({"name": name, "schedule": schedule, "lrs": lrs, **extra})
    add("constant", {"name": "constant"}, lr_sequence(lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 1.0)))
    add(
        "cosine",
        {"name": "cosine", "min": 1e-3},
        lr_sequence(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=100, eta_min=1e-3)),
    )
    add("cosine min 0", {"name": "cosine", "min": 0}, lr_sequence(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=100)))
    add("step", {"name": "step", "size": 10, "gamma": 0.5}, lr_sequence(lambda o: torch.optim.lr_scheduler.StepLR(o, 10, 0.5)))
    add("step 7 0.3", {"name": "step", "size": 7, "gamma": 0.3}, lr_sequence(lambda o: torch.optim.lr_scheduler.StepLR(o, 7, 0.3)))
    add("poly epoch", {"name": "poly", "power": 0.9, "min": 1e-4, "per": "epoch"}, upstream_poly("epoch", 0.9, 1e-4))
    add(
        "poly iteration",
        {"name": "poly", "power": 0.9, "min": 1e-4, "per": "iteration"},
        upstream_poly("iteration", 0.9, 1e-4),
        iterations=7,
    )
    add("poly power 2", {"name": "poly", "power": 2.0, "min": 0, "per": "epoch"}, upstream_poly("epoch", 2.0, 0))
    # warmup: torch LinearLR's factor (start 1/W, reaching 1 after W - 1 steps: lr = base (i + 1) / W, as
    # upstream PolyLR's warmup) per iteration, times the per-epoch cosine lr.
    factors = lr_sequence(
        lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=1 / 50, end_factor=1.0, total_iters=49),
        epochs=100,
        base=(1.0, 1.0),
        per_epoch=7,
    )
    cosine = lr_sequence(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=100, eta_min=1e-3))
    warm = [[factors[i][g] * cosine[i // 7][g] for g in range(2)] for i in range(700)]
    add("warmup cosine", {"name": "warmup", "iterations": 50, "then": {"name": "cosine", "min": 1e-3}}, warm, iterations=7)
    warm_constant = [[factors[i][g] * b for g, b in enumerate((0.1, 0.01))] for i in range(700)]
    add("warmup constant", {"name": "warmup", "iterations": 50, "then": {"name": "constant"}}, warm_constant, iterations=7)
    values = scripted_values()
    add(
        "plateau min",
        {"name": "plateau", "mode": "min", "factor": 0.5, "patience": 3, "threshold": 1e-4, "cooldown": 0, "min": 0},
        plateau("min", values, factor=0.5, patience=3, threshold=1e-4),
        values=values,
    )
    add(
        "plateau min cooldown floor",
        {"name": "plateau", "mode": "min", "factor": 0.3, "patience": 2, "threshold": 1e-2, "cooldown": 2, "min": 2e-3},
        plateau("min", values, factor=0.3, patience=2, threshold=1e-2, cooldown=2, min_lr=2e-3),
        values=values,
    )
    scores = [round(1 - v, 6) for v in values]
    add(
        "plateau max",
        {"name": "plateau", "mode": "max", "factor": 0.5, "patience": 5, "threshold": 1e-4, "cooldown": 1, "min": 0},
        plateau("max", scores, factor=0.5, patience=5, threshold=1e-4, cooldown=1),
        values=scores,
    )
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    init, xs, ys = data()
    trajectories = {
        "network": {"N": N, "I": I, "H": H, "O": O},
        "init": {k: flat(v) for k, v in init.items()},
        "x": [flat(x) for x in xs],
        "y": [flat(y) for y in ys],
        "cases": [trajectory(case, init, xs, ys) for case in CASES],
    }
    with open(os.path.join(OUT, "trajectories.json"), "w") as f:
        json.dump(trajectories, f, indent=None, separators=(",", ":"))
        f.write("\n")
    with open(os.path.join(OUT, "schedules.json"), "w") as f:
        json.dump({"base": [0.1, 0.01], "epochs": 100, "cases": schedules()}, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
