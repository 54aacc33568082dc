"""Writes test/golden/torch/ops.json: float64 forward values and vector-Jacobian products from PyTorch.

Run with /usr/bin/python3 (it has torch); the output is identical on every run. CI reads the JSON only.
"""
import json
import os
import zlib

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, "torch", "ops.json")
DTYPE = torch.float64
IGNORE = 255


def generator_for(name):
    """Each case draws from its own generator, so adding a case never changes the others."""
    generator = torch.Generator()
    generator.manual_seed(zlib.crc32(name.encode("utf-8")))
    return generator


def normal(generator, shape):
    return torch.randn(tuple(shape), generator=generator, dtype=DTYPE)


def tensor_json(tensor):
    tensor = tensor.detach().to(DTYPE).contiguous()
    return {"shape": list(tensor.shape), "data": [float(value) for value in tensor.reshape(-1).tolist()]}


def differentiable_case(name, op, attrs, inputs, differentiated, forward, generator, extra=None):
    """inputs: name -> tensor; differentiated: names that get grads; forward(**inputs) -> output."""
    leaves = {}
    for key, value in inputs.items():
        leaf = value.clone()
        leaf.requires_grad_(key in differentiated)
        leaves[key] = leaf
    output = forward(**leaves)
    grad_output = normal(generator, output.shape)
    grads = torch.autograd.grad(output, [leaves[key] for key in differentiated], grad_output)
    case = {
        "name": name,
        "op": op,
        "attrs": attrs,
        "inputs": {key: tensor_json(value) for key, value in inputs.items()},
        "grad_output": tensor_json(grad_output),
        "output": tensor_json(output),
        "grads": {key: tensor_json(grad) for key, grad in zip(differentiated, grads)},
    }
    if extra is not None:
        case.update(extra)
    return case


def conv2d_cases():
    cases = []
    for kernel, pad in [(3, 1), (3, 0), (1, 0)]:
        name = "conv2d_k%d_pad%d" % (kernel, pad)
        generator = generator_for(name)
        inputs = {"x": normal(generator, (2, 3, 5, 7)), "w": normal(generator, (4, 3, kernel, kernel))}
        cases.append(differentiable_case(
            name, "conv2d", {"pad": pad, "stride": 1}, inputs, ["x", "w"],
            lambda x, w, pad=pad: F.conv2d(x, w, padding=pad), generator))
    return cases


def convolution_cases():
    """General convolutions (stride, padding, dilation, groups; 2-D and 3-D) and transposed convolutions."""
    cases = []
    configs = [
        # name, input shape, weight shape, stride, padding, dilation, groups
        ("conv_resnet_stem_k7_s2_p3", (2, 3, 13, 11), (4, 3, 7, 7), (2, 2), (3, 3), (1, 1), 1),
        ("conv_k3_s2_p1", (2, 4, 9, 8), (5, 4, 3, 3), (2, 2), (1, 1), (1, 1), 1),
        ("conv_k3_d2_p2_groups2", (2, 4, 7, 9), (6, 2, 3, 3), (1, 1), (2, 2), (2, 2), 2),
        ("conv_depthwise_k3_s2", (1, 3, 8, 7), (3, 1, 3, 3), (2, 2), (1, 1), (1, 1), 3),
        ("conv3d_k3_p1", (2, 2, 4, 5, 6), (3, 2, 3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), 1),
        ("conv3d_k3_s122_p1", (1, 3, 3, 6, 5), (2, 3, 3, 3, 3), (1, 2, 2), (1, 1, 1), (1, 1, 1), 1),
    ]
    for name, x_shape, w_shape, stride, padding, dilation, groups in configs:
        generator = generator_for(name)
        inputs = {"x": normal(generator, x_shape), "w": normal(generator, w_shape)}
        conv = F.conv3d if len(x_shape) == 5 else F.conv2d
        attrs = {"stride": list(stride), "pad": list(padding), "dilation": list(dilation), "groups": groups}
        cases.append(differentiable_case(
            name, "convolution", attrs, inputs, ["x", "w"],
            lambda x, w, conv=conv, a=(stride, padding, dilation, groups): conv(x, w, None, a[0], a[1], a[2], a[3]),
            generator))
    transposed = [
        # name, input shape, weight shape [Cin, Cout/groups, k...], stride, padding, output padding, groups
        ("conv_transpose_k2_s2", (2, 4, 3, 5), (4, 3, 2, 2), (2, 2), (0, 0), (0, 0), 1),
        ("conv_transpose_k3_s2_p1_op1", (1, 4, 4, 3), (4, 2, 3, 3), (2, 2), (1, 1), (1, 1), 2),
        ("conv_transpose3d_k2_s2", (1, 3, 2, 3, 2), (3, 2, 2, 2, 2), (2, 2, 2), (0, 0, 0), (0, 0, 0), 1),
    ]
    for name, x_shape, w_shape, stride, padding, output_padding, groups in transposed:
        generator = generator_for(name)
        inputs = {"x": normal(generator, x_shape), "w": normal(generator, w_shape)}
        conv_t = F.conv_transpose3d if len(x_shape) == 5 else F.conv_transpose2d
        attrs = {"stride": list(stride), "pad": list(padding), "output_padding": list(output_padding), "groups": groups}
        cases.append(differentiable_case(
            name, "conv_transpose", attrs, inputs, ["x", "w"],
            lambda x, w, f=conv_t, a=(stride, padding, output_padding, groups): f(x, w, None, a[0], a[1], a[2], a[3]),
            generator))
    return cases


def pooling_cases():
    """General max/avg pooling (2-D and 3-D, stride, padding, count_include_pad) and resizing."""
    cases = []
    pools = [
        # name, input shape, mode, kernel, stride, padding, count_include_pad
        ("maxpool_k3_s2_p1", (2, 3, 9, 8), "max", (3, 3), (2, 2), (1, 1), True),
        ("avgpool_k3_s2_p1", (2, 3, 7, 6), "avg", (3, 3), (2, 2), (1, 1), True),
        ("avgpool_k3_s2_p1_exclude_pad", (2, 3, 7, 6), "avg", (3, 3), (2, 2), (1, 1), False),
        ("maxpool3d_k2", (1, 2, 4, 5, 4), "max", (2, 2, 2), (2, 2, 2), (0, 0, 0), True),
        ("avgpool3d_k3_s1_p1", (1, 2, 3, 4, 3), "avg", (3, 3, 3), (1, 1, 1), (1, 1, 1), True),
    ]
    for name, shape, mode, kernel, stride, padding, count_pad in pools:
        generator = generator_for(name)
        inputs = {"x": normal(generator, shape)}
        rank = len(shape) - 2
        if mode == "max":
            pool = F.max_pool3d if rank == 3 else F.max_pool2d
            forward = lambda x, f=pool, a=(kernel, stride, padding): f(x, a[0], a[1], a[2])
        else:
            pool = F.avg_pool3d if rank == 3 else F.avg_pool2d
            forward = lambda x, f=pool, a=(kernel, stride, padding, count_pad): f(x, a[0], a[1], a[2], count_include_pad=a[3])
        attrs = {"mode": mode, "kernel": list(kernel), "stride": list(stride), "pad": list(padding), "count_pad": count_pad}
        cases.append(differentiable_case(name, "pool", attrs, inputs, ["x"], forward, generator))
    resizes = [
        # name, input shape, size, mode, align_corners
        ("bilinear_up_align_false", (2, 3, 4, 5), (8, 10), "bilinear", False),
        ("bilinear_to_7x9_align_true", (2, 2, 4, 5), (7, 9), "bilinear", True),
        ("bilinear_down_align_false", (1, 2, 9, 7), (4, 3), "bilinear", False),
        ("nearest_to_7x6", (1, 2, 3, 4), (7, 6), "nearest", None),
        ("nearest_26x39_to_22x33", (1, 1, 26, 39), (22, 33), "nearest", None),
        ("trilinear_up_align_false", (1, 2, 2, 3, 2), (4, 6, 4), "trilinear", False),
        ("trilinear_up_align_true", (1, 2, 2, 3, 3), (3, 5, 4), "trilinear", True),
    ]
    for name, shape, size, mode, align in resizes:
        generator = generator_for(name)
        inputs = {"x": normal(generator, shape)}
        forward = lambda x, a=(size, mode, align): F.interpolate(x, size=a[0], mode=a[1], align_corners=a[2])
        attrs = {"mode": "nearest" if mode == "nearest" else "linear", "size": list(size), "align_corners": bool(align)}
        cases.append(differentiable_case(name, "resize", attrs, inputs, ["x"], forward, generator))
    return cases


def first_max_rule_holds(x, grad_x, grad_output):
    """Checks PyTorch's tie rule: the first maximum in row-major window order gets the whole gradient."""
    batch, channels, height, width = x.shape
    for n in range(batch):
        for c in range(channels):
            for row in range(height // 2):
                for column in range(width // 2):
                    window = [(2 * row + dy, 2 * column + dx) for dy in range(2) for dx in range(2)]
                    values = [x[n, c, y, xx].item() for y, xx in window]
                    winner = window[values.index(max(values))]
                    for y, xx in window:
                        expected = grad_output[n, c, row, column].item() if (y, xx) == winner else 0.0
                        if grad_x[n, c, y, xx].item() != expected:
                            return False
    return True


def maxpool_cases():
    cases = []
    for name, shape, ties in [
        ("maxpool2d_even", (2, 3, 6, 8), False),
        ("maxpool2d_odd", (2, 3, 5, 7), False),
        ("maxpool2d_ties", (2, 3, 6, 8), True),
    ]:
        generator = generator_for(name)
        x = normal(generator, shape)
        if ties:
            # One decimal and a ceiling at 0.5 make equal values inside many windows.
            x = torch.clamp(torch.round(x * 10) / 10, max=0.5)
        case = differentiable_case(
            name, "maxpool2d", {"size": 2}, {"x": x}, ["x"], lambda x: F.max_pool2d(x, 2), generator)
        if ties:
            grad_x = torch.tensor(case["grads"]["x"]["data"], dtype=DTYPE).reshape(shape)
            grad_output = torch.tensor(case["grad_output"]["data"], dtype=DTYPE).reshape(
                case["grad_output"]["shape"])
            assert first_max_rule_holds(x, grad_x, grad_output), "PyTorch tie rule changed"
        cases.append(case)
    return cases


def upsample_cases():
    name = "upsample_nearest"
    generator = generator_for(name)
    return [differentiable_case(
        name, "upsample_nearest", {"scale": 2}, {"x": normal(generator, (2, 3, 5, 7))}, ["x"],
        lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), generator)]


def groupnorm_cases():
    cases = []
    for name, shape, groups in [("groupnorm_g3", (2, 6, 3, 4), 3), ("groupnorm3d_g2", (2, 4, 2, 3, 3), 2)]:
        generator = generator_for(name)
        inputs = {
            "x": normal(generator, shape) * 1.5 + 0.7,
            "weight": normal(generator, (shape[1],)),
            "bias": normal(generator, (shape[1],)),
        }
        cases.append(differentiable_case(
            name, "groupnorm", {"groups": groups, "eps": 1e-5}, inputs, ["x", "weight", "bias"],
            lambda x, weight, bias, g=groups: F.group_norm(x, g, weight, bias, eps=1e-5), generator))
    return cases


def linear_pad_cases():
    name = "linear"
    generator = generator_for(name)
    inputs = {"x": normal(generator, (3, 5)), "w": normal(generator, (4, 5)), "b": normal(generator, (4,))}
    linear = differentiable_case(name, "linear", {}, inputs, ["x", "w", "b"], lambda x, w, b: F.linear(x, w, b), generator)
    name = "pad"
    generator = generator_for(name)
    # torch orders the amounts from the last dim: (W before, W after, H before, H after).
    padding = differentiable_case(name, "pad", {"p": [1, 2], "value": 0.5}, {"x": normal(generator, (2, 3, 4, 5))}, ["x"],
                                  lambda x: F.pad(x, (2, 2, 1, 1), value=0.5), generator)
    return [linear, padding]


def batchnorm_cases():
    attrs = {"eps": 1e-5, "momentum": 0.1}
    name = "batchnorm_train"
    generator = generator_for(name)
    inputs = {
        "x": normal(generator, (2, 3, 5, 7)) * 1.5 + 0.7,
        "weight": normal(generator, (3,)),
        "bias": normal(generator, (3,)),
    }
    # A fresh torch.nn.BatchNorm2d in training mode, its weight and bias the case's leaves: one forward
    # updates the running statistics and counts the batch in num_batches_tracked (0 before).
    module = torch.nn.BatchNorm2d(3, eps=1e-5, momentum=0.1, dtype=DTYPE).train()
    buffers = dict(module.named_buffers())
    assert int(buffers["num_batches_tracked"]) == 0

    def train_forward(x, weight, bias):
        del module.weight, module.bias
        module.weight, module.bias = weight, bias
        return module(x)

    train = differentiable_case(name, "batchnorm_train", attrs, inputs, ["x", "weight", "bias"],
                                train_forward, generator)
    # The forward updated the buffers in place (running_var uses the unbiased variance).
    assert int(buffers["num_batches_tracked"]) == 1
    train["state_after"] = {
        key: tensor_json(buffers[key]) for key in ["running_mean", "running_var", "num_batches_tracked"]
    }

    name = "batchnorm_eval"
    generator = generator_for(name)
    inputs = {
        "x": normal(generator, (2, 3, 5, 7)),
        "weight": normal(generator, (3,)),
        "bias": normal(generator, (3,)),
        "running_mean": normal(generator, (3,)) * 0.5,
        "running_var": torch.exp(normal(generator, (3,)) * 0.5),
    }

    def eval_forward(x, weight, bias, running_mean, running_var):
        return F.batch_norm(x, running_mean, running_var, weight, bias,
                            training=False, momentum=0.1, eps=1e-5)

    evaluate = differentiable_case(name, "batchnorm_eval", attrs, inputs, ["x", "weight", "bias"],
                                   eval_forward, generator)
    return [train, evaluate]


def cross_entropy_cases():
    name = "cross_entropy"
    generator = generator_for(name)
    z = normal(generator, (2, 3, 5, 7)) * 2
    labels = torch.randint(0, 3, (2, 5, 7), generator=generator)
    ignored = torch.rand(2, 5, 7, generator=generator, dtype=DTYPE) < 0.15
    labels = torch.where(ignored, torch.full_like(labels, IGNORE), labels)
    assert int(ignored.sum()) > 0

    def forward(z, y):
        return F.cross_entropy(z, y.long(), ignore_index=IGNORE)

    inputs = {"z": z, "y": labels.to(DTYPE)}
    attrs = {"ignore": IGNORE}
    return [differentiable_case(name, "cross_entropy", attrs, inputs, ["z"], forward, generator)]


def softmax_cases():
    cases = []
    for op, function in [("softmax", F.softmax), ("log_softmax", F.log_softmax)]:
        generator = generator_for(op)
        cases.append(differentiable_case(
            op, op, {"axis": "C"}, {"x": normal(generator, (2, 3, 5, 7))}, ["x"],
            lambda x, function=function: function(x, dim=1), generator))
    return cases


def adam_cases():
    name = "adam"
    generator = generator_for(name)
    p0 = normal(generator, (7,))
    grads = normal(generator, (3, 7))
    attrs = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    parameter = torch.nn.Parameter(p0.clone())
    optimizer = torch.optim.Adam([parameter], lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    steps = []
    for gradient in grads:
        optimizer.zero_grad()
        parameter.grad = gradient.clone()
        optimizer.step()
        steps.append([float(value) for value in parameter.detach().tolist()])
    return [{
        "name": name,
        "op": "adam",
        "attrs": attrs,
        "inputs": {"p0": tensor_json(p0), "grads": tensor_json(grads)},
        "grad_output": None,
        "output": tensor_json(parameter),
        "grads": {},
        "steps": steps,
    }]


def main():
    torch.use_deterministic_algorithms(True)
    cases = (conv2d_cases() + convolution_cases() + pooling_cases() + groupnorm_cases() + linear_pad_cases() + maxpool_cases() + upsample_cases() + batchnorm_cases()
             + cross_entropy_cases() + softmax_cases() + adam_cases())
    names = [case["name"] for case in cases]
    assert len(set(names)) == len(names), "case names must be unique"
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    # One case per line: compact, yet diffs show which case changed. Python floats print exactly.
    lines = [json.dumps(case, separators=(",", ":"), allow_nan=False) for case in cases]
    with open(OUTPUT, "w") as handle:
        handle.write("[\n" + ",\n".join(lines) + "\n]\n")
    print("wrote %d cases to %s (torch %s)" % (len(cases), os.path.relpath(OUTPUT), torch.__version__))


if __name__ == "__main__":
    main()
