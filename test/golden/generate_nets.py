"""Writes test/golden/nets/<network>.json: the stdlib networks' PyTorch references with their true state_dict keys.

The encoders are torchvision's ResNets (fc and avgpool removed, as smp's ResNetEncoder does); the decoders are
segmentation_models_pytorch 0.2.1's Unet, FPN and DeepLabV3Plus, written out here after its source (Debian has
no smp). Weights, inputs and the loss's weights come from one deterministic formula of each tensor's key and
element index (values_for below), which test/e2e/net-parity.test.ts computes again: only the keys, shapes,
outputs and gradient samples are committed, never the weights (ResNet-101 alone is 170 MB).

Each file holds, for one network in float64: the state_dict keys with shapes and dtypes, the trainable parameter
count, the input, the logits in evaluation mode and in training mode (batch statistics), the loss
mean(logits * R) of the training forward pass (with mean |logits * R|, its scale), and per parameter the
gradient's L2 norm, its largest magnitude and its values at 16 indices drawn from the key (the logits: 512),
each with PyTorch's own float32 error on that measure (f32_error). Dropout is set to 0 (the only random op).

Two more parts per network. fragile: the forward pass's decisions that float32 may take otherwise than float64
(a ReLU input within tau of 0, a max-pool window's two largest inputs that close; tau is FRAGILE, or 4 x
PyTorch f32's error on that layer's input where larger), each with g, the float64 loss's gradient at the op's
output there. A ReLU net's gradient jumps at such a decision (no f32 computation is continuous across it): a
flip moves every upstream gradient by g times the derivative of the ReLU's input (or of the pool's two inputs'
difference). The test adds to segc's loss a term whose gradient is that move undone for the decisions segc's
forward pass took the other way, so segc's gradient is compared at float64's decisions; PyTorch f32's error is
measured the same way here (correction, f32_error_corrected). export: segc's own model file
(test/golden/export_nets.mts, run with npx tsx) loaded into the reference module by
load_state_dict(strict=True), with its SHA-256, which the test checks segc still writes.

Run with /usr/bin/python3 (Debian's python3-torch and python3-torchvision) from anywhere, with node and the
repository's node_modules for the export step; `generate_nets.py unet_r18` regenerates one network. The output is
identical on every run. CI reads the JSON only.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, "nets")
M32 = 0xFFFFFFFF
SAMPLES = 16
LOGIT_SAMPLES = 512


# ---- the deterministic values (mirrored in test/helpers/net-values.ts) -----------------------------------------


def fnv1a(text):
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & M32
    return h


def mix(x):
    """murmur3's 32-bit finaliser, on uint64 arrays holding 32-bit values."""
    x = ((x ^ (x >> np.uint64(16))) * np.uint64(0x85EBCA6B)) & np.uint64(M32)
    x = ((x ^ (x >> np.uint64(13))) * np.uint64(0xC2B2AE35)) & np.uint64(M32)
    return x ^ (x >> np.uint64(16))


def uniform(key, count):
    """count values in [0, 1): mix(fnv1a(key) + i * 0x9E3779B1 mod 2^32) / 2^32."""
    i = np.arange(count, dtype=np.uint64)
    x = (np.uint64(fnv1a(key)) + i * np.uint64(0x9E3779B1)) & np.uint64(M32)
    return mix(x).astype(np.float64) / 4294967296.0


# The scale of a bottleneck's last batch norm (bn3, the residual branch's output) relative to the others. With
# every scale in 0.3..0.7, a random ResNet-50/101 in training mode on these small batches is chaotic: each
# block's batch statistics amplify a perturbation ~1.1x, so float32's rounding grows to 1e-4 of the logits and
# 2e-1 of some gradients (fpn_r101) and no float32 computation can be held to 1e-4. With the branches scaled
# down (torchvision's zero_init_residual starts them at 0) the blocks stay near the identity: PyTorch f32's
# training logits are within 4e-6 of float64 and every layer still computes (and gets a gradient).
RESIDUAL_SCALE = 0.1


def values_for(key, shape):
    """The value of every element of tensor `key`, by what its name says it is (float64, then float32)."""
    count = int(np.prod(shape)) if len(shape) > 0 else 1
    u = uniform(key, count)
    leaf = key.rsplit(".", 1)[-1]
    if leaf == "num_batches_tracked":
        return np.floor(u * 1000.0)
    if leaf == "running_mean" or leaf == "bias":
        return (2.0 * u - 1.0) * 0.1
    if leaf == "running_var":
        return 0.5 + u
    if leaf == "weight" and len(shape) == 1:  # batch and group norm scales
        return (0.3 + 0.4 * u) * (RESIDUAL_SCALE if key.endswith(".bn3.weight") else 1.0)
    fan_in = int(np.prod(shape[1:]))
    return (2.0 * u - 1.0) * np.sqrt(6.0 / fan_in)


def as_f32(values):
    return values.astype(np.float32).astype(np.float64)


def sample_indices(key, count, samples):
    u = uniform("sample:" + key, samples)
    return sorted(set(int(v) for v in np.floor(u * count)))


# ---- smp 0.2.1 -------------------------------------------------------------------------------------------------


class ResNetEncoder(nn.Module):
    """smp's ResNetEncoder: torchvision's ResNet without fc and avgpool; features at strides 1, 2, 4, 8, 16, 32."""

    def __init__(self, depth):
        super().__init__()
        net = getattr(torchvision.models, f"resnet{depth}")()
        for name in ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"]:
            setattr(self, name, getattr(net, name))

    def make_dilated(self, stage, dilation):
        """smp's replace_strides_with_dilation on one stage: every conv stride 1, dilation d, padding (k // 2) d."""
        for module in stage.modules():
            if isinstance(module, nn.Conv2d):
                module.stride = (1, 1)
                module.dilation = (dilation, dilation)
                kh, _ = module.kernel_size
                module.padding = ((kh // 2) * dilation, (kh // 2) * dilation)

    def forward(self, x):
        stem = self.relu(self.bn1(self.conv1(x)))
        c2 = self.layer1(self.maxpool(stem))
        c3 = self.layer2(c2)
        c4 = self.layer3(c3)
        c5 = self.layer4(c4)
        return [x, stem, c2, c3, c4, c5]


def encoder_channels(depth):
    return (3, 64, 64, 128, 256, 512) if depth < 50 else (3, 64, 256, 512, 1024, 2048)


class Conv2dReLU(nn.Sequential):
    def __init__(self, cin, cout, kernel, padding):
        super().__init__(nn.Conv2d(cin, cout, kernel, padding=padding, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class DecoderBlock(nn.Module):
    def __init__(self, cin, skip, cout):
        super().__init__()
        self.conv1 = Conv2dReLU(cin + skip, cout, 3, 1)
        self.attention1 = nn.Identity()
        self.conv2 = Conv2dReLU(cout, cout, 3, 1)
        self.attention2 = nn.Identity()

    def forward(self, x, skip=None):
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        if skip is not None:
            x = self.attention1(torch.cat([x, skip], dim=1))
        return self.attention2(self.conv2(self.conv1(x)))


class UnetDecoder(nn.Module):
    def __init__(self, channels, decoder=(256, 128, 64, 32, 16)):
        super().__init__()
        channels = channels[1:][::-1]
        head = channels[0]
        ins = [head] + list(decoder[:-1])
        skips = list(channels[1:]) + [0]
        self.center = nn.Identity()
        self.blocks = nn.ModuleList([DecoderBlock(i, s, o) for i, s, o in zip(ins, skips, decoder)])

    def forward(self, *features):
        features = features[1:][::-1]
        x = self.center(features[0])
        skips = features[1:]
        for i, block in enumerate(self.blocks):
            x = block(x, skips[i] if i < len(skips) else None)
        return x


class SegmentationHead(nn.Sequential):
    def __init__(self, cin, cout, kernel, upsampling):
        conv = nn.Conv2d(cin, cout, kernel, padding=kernel // 2)
        up = nn.UpsamplingBilinear2d(scale_factor=upsampling) if upsampling > 1 else nn.Identity()
        super().__init__(conv, up, nn.Identity())


class Unet(nn.Module):
    def __init__(self, depth, classes):
        super().__init__()
        self.encoder = ResNetEncoder(depth)
        self.decoder = UnetDecoder(encoder_channels(depth))
        self.segmentation_head = SegmentationHead(16, classes, 3, 1)

    def forward(self, x):
        return self.segmentation_head(self.decoder(*self.encoder(x)))


class Conv3x3GNReLU(nn.Module):
    def __init__(self, cin, cout, upsample=False):
        super().__init__()
        self.upsample = upsample
        self.block = nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.GroupNorm(32, cout), nn.ReLU())

    def forward(self, x):
        x = self.block(x)
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
        return x


class FPNBlock(nn.Module):
    def __init__(self, pyramid, skip):
        super().__init__()
        self.skip_conv = nn.Conv2d(skip, pyramid, kernel_size=1)

    def forward(self, x, skip):
        return F.interpolate(x, scale_factor=2, mode="nearest") + self.skip_conv(skip)


class SegmentationBlock(nn.Module):
    def __init__(self, cin, cout, ups):
        super().__init__()
        blocks = [Conv3x3GNReLU(cin, cout, upsample=bool(ups))]
        for _ in range(1, ups):
            blocks.append(Conv3x3GNReLU(cout, cout, upsample=True))
        self.block = nn.Sequential(*blocks)

    def forward(self, x):
        return self.block(x)


class FPNDecoder(nn.Module):
    def __init__(self, channels, pyramid=256, segmentation=128, dropout=0.2):
        super().__init__()
        channels = channels[::-1][:4]
        self.p5 = nn.Conv2d(channels[0], pyramid, kernel_size=1)
        self.p4 = FPNBlock(pyramid, channels[1])
        self.p3 = FPNBlock(pyramid, channels[2])
        self.p2 = FPNBlock(pyramid, channels[3])
        self.seg_blocks = nn.ModuleList([SegmentationBlock(pyramid, segmentation, n) for n in [3, 2, 1, 0]])
        self.dropout = nn.Dropout2d(p=dropout, inplace=True)

    def forward(self, *features):
        c2, c3, c4, c5 = features[-4:]
        p5 = self.p5(c5)
        p4 = self.p4(p5, c4)
        p3 = self.p3(p4, c3)
        p2 = self.p2(p3, c2)
        pyramid = [block(p) for block, p in zip(self.seg_blocks, [p5, p4, p3, p2])]
        return self.dropout(sum(pyramid))


class FPN(nn.Module):
    def __init__(self, depth, classes):
        super().__init__()
        self.encoder = ResNetEncoder(depth)
        self.decoder = FPNDecoder(encoder_channels(depth), dropout=0.0)
        self.segmentation_head = SegmentationHead(128, classes, 1, 4)

    def forward(self, x):
        return self.segmentation_head(self.decoder(*self.encoder(x)))


class SeparableConv2d(nn.Sequential):
    def __init__(self, cin, cout, kernel, padding=0, dilation=1, bias=True):
        depthwise = nn.Conv2d(cin, cin, kernel, padding=padding, dilation=dilation, groups=cin, bias=False)
        pointwise = nn.Conv2d(cin, cout, kernel_size=1, bias=bias)
        super().__init__(depthwise, pointwise)


class ASPPSeparableConv(nn.Sequential):
    def __init__(self, cin, cout, dilation):
        conv = SeparableConv2d(cin, cout, 3, padding=dilation, dilation=dilation, bias=False)
        super().__init__(conv, nn.BatchNorm2d(cout), nn.ReLU())


class ASPPPooling(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

    def forward(self, x):
        size = x.shape[-2:]
        for module in self:
            x = module(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    def __init__(self, cin, cout, rates, dropout=0.5):
        super().__init__()
        modules = [nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())]
        modules += [ASPPSeparableConv(cin, cout, rate) for rate in rates]
        modules.append(ASPPPooling(cin, cout))
        self.convs = nn.ModuleList(modules)
        self.project = nn.Sequential(
            nn.Conv2d(5 * cout, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(), nn.Dropout(dropout)
        )

    def forward(self, x):
        return self.project(torch.cat([conv(x) for conv in self.convs], dim=1))


class DeepLabV3PlusDecoder(nn.Module):
    def __init__(self, channels, out=256, rates=(12, 24, 36), dropout=0.5):
        super().__init__()
        self.aspp = nn.Sequential(
            ASPP(channels[-1], out, rates, dropout),
            SeparableConv2d(out, out, 3, padding=1, bias=False),
            nn.BatchNorm2d(out),
            nn.ReLU(),
        )
        self.up = nn.UpsamplingBilinear2d(scale_factor=4)
        self.block1 = nn.Sequential(nn.Conv2d(channels[-4], 48, 1, bias=False), nn.BatchNorm2d(48), nn.ReLU())
        self.block2 = nn.Sequential(
            SeparableConv2d(48 + out, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU()
        )

    def forward(self, *features):
        aspp = self.up(self.aspp(features[-1]))
        high = self.block1(features[-4])
        return self.block2(torch.cat([aspp, high], dim=1))


class DeepLabV3Plus(nn.Module):
    def __init__(self, depth, classes):
        super().__init__()
        self.encoder = ResNetEncoder(depth)
        self.encoder.make_dilated(self.encoder.layer4, 2)  # encoder_output_stride = 16
        self.decoder = DeepLabV3PlusDecoder(encoder_channels(depth), dropout=0.0)
        self.segmentation_head = SegmentationHead(256, classes, 1, 4)

    def forward(self, x):
        return self.segmentation_head(self.decoder(*self.encoder(x)))


# ---- the cases -------------------------------------------------------------------------------------------------

# name, class, depth, classes, input [N, C, H, W], the segc model call. DeepLabV3+ (output stride 16) at
# 32 x 32: layer3, layer4 and ASPP at 2 x 2, where every tap of layer3's 3x3 convolutions is used (at 16 x 16,
# only the centre); 4 images, as the ASPP pooling branch's batch norm normalises N values per channel: with 2,
# PyTorch f32's gradients are 1.2e-4 off float64 without a flipped decision.
CASES = [
    ("unet_r18", Unet, 18, 3, [2, 3, 64, 64], "unet_resnet(depth = 18, classes = 3)"),
    ("unet_r50", Unet, 50, 3, [2, 3, 64, 64], "unet_resnet(depth = 50, classes = 3)"),
    ("fpn_r50", FPN, 50, 3, [2, 3, 64, 64], "fpn_resnet(depth = 50, classes = 3, dropout = 0)"),
    ("fpn_r101", FPN, 101, 3, [2, 3, 64, 64], "fpn_resnet(depth = 101, classes = 3, dropout = 0)"),
    (
        "deeplab_r50",
        DeepLabV3Plus,
        50,
        3,
        [4, 3, 32, 32],
        "deeplabv3plus_resnet(depth = 50, classes = 3, aspp_dropout = 0)",
    ),
]


def summary(key, tensor, samples):
    """A tensor's L2 norm, largest magnitude and values at indices drawn from `key`."""
    t = tensor.detach().reshape(-1)
    idx = sample_indices(key, t.numel(), samples)
    return {"norm": float(t.norm()), "max": float(t.abs().max()), "indices": idx, "values": [float(t[i]) for i in idx]}


def run(net, x):
    """Eval logits, train logits, the loss mean(logits * R) and every parameter's gradient, in x's dtype."""
    net.zero_grad()
    state = {k: v.clone() for k, v in net.state_dict().items()}
    with torch.no_grad():
        net.eval()
        logits_eval = net(x)
    net.train()
    logits_train = net(x)
    r = torch.tensor(as_f32(2.0 * uniform("loss", logits_train.numel()) - 1.0), dtype=x.dtype)
    loss = (logits_train.reshape(-1) * r).mean()
    loss.backward()
    net.load_state_dict(state)  # the running statistics as they were
    grads = {key: param.grad.detach().clone() for key, param in net.named_parameters()}
    run.scale = float((logits_train.detach().reshape(-1) * r).abs().mean())
    return logits_eval, logits_train.detach(), loss.detach(), grads


def error_of(tensor, reference):
    """The test's measure: the largest sampled difference over the largest magnitude, or the norm's relative error."""
    t = tensor.detach().double().reshape(-1)
    diff = max(abs(float(t[i]) - v) for i, v in zip(reference["indices"], reference["values"])) / reference["max"]
    return max(diff, abs(float(t.norm()) - reference["norm"]) / reference["norm"])


# ---- ReLU decisions within f32's reach of a tie -----------------------------------------------------------------

# A ReLU input within this fraction of its tensor's largest magnitude from 0 is "fragile": an f32 forward pass
# (segc's or PyTorch's, errors ~1e-6 of that magnitude) may put it on the other side of 0. The gradient is not
# continuous there: a flipped mask adds or removes g_e * d(pre_e)/d(theta) (g_e: the loss's gradient at the
# ReLU's output) to every gradient upstream of it, ~1e-3 of their size, whatever the precision of the kernels.
FRAGILE = 1e-5


def relu_inputs(net, x, keep_graph=False):
    """Runs net (in its mode) on x: every ReLU call's input and output in execution order, the max pools' inputs
    and outputs, and the logits."""
    found = {"relu_in": [], "relu_out": [], "pool_in": [], "pool_out": []}
    hooks = []

    def watch(module, kind):
        hooks.append(module.register_forward_pre_hook(lambda m, inp: found[kind + "_in"].append(inp[0])))
        hooks.append(module.register_forward_hook(lambda m, inp, out: found[kind + "_out"].append(out)))

    for module in net.modules():
        if isinstance(module, nn.ReLU):
            module.inplace = False  # the same values; the input stays readable
            watch(module, "relu")
        if isinstance(module, nn.MaxPool2d):
            watch(module, "pool")
    if keep_graph:
        found["logits"] = net(x)
    else:
        with torch.no_grad():
            found["logits"] = net(x)
    for h in hooks:
        h.remove()
    return found


def pool_windows(t):
    """The 3x3 stride-2 pad-1 max pool's windows of t (>= 0): their values and flat input indices, [N, C, 9, P]."""
    n, c, h, w = t.shape
    values = F.unfold(F.pad(t, (1, 1, 1, 1), value=-1.0), 3, stride=2).reshape(n, c, 9, -1)
    index = torch.arange(h * w, dtype=torch.float64).reshape(1, 1, h, w)
    taps = F.unfold(F.pad(index, (1, 1, 1, 1), value=-1.0), 3, stride=2).reshape(1, 1, 9, -1).long()
    return values, taps.expand(n, c, 9, -1)


def fragile_items(found, taus):
    """Where an f32 forward pass may decide otherwise: ReLU inputs within their tau of 0, and max-pool windows whose
    two largest values are within tau of each other (as fractions of the tensor's largest magnitude); taus: per
    ReLU call, then per pool."""
    items = []
    for i, pre in enumerate(found["relu_in"]):
        flat = pre.detach().reshape(-1)
        scale = float(flat.abs().max())
        tau = taus[i]
        for j in torch.nonzero(flat.abs() < tau * scale).reshape(-1).tolist():
            items.append({"relu": i, "index": j, "pre": float(flat[j]), "scale": scale, "tau": tau})
    for i, t in enumerate(found["pool_in"]):
        t = t.detach()
        n, c, h, w = t.shape
        scale = float(t.abs().max())
        values, taps = pool_windows(t)
        first = values.argmax(dim=2, keepdim=True)  # the first maximum, where torch routes the gradient
        top = values.gather(2, first)
        rest = values.scatter(2, first, -2.0)
        second = rest.argmax(dim=2, keepdim=True)
        gap = (top - rest.gather(2, second)).reshape(-1) / scale
        tau = taus[len(found["relu_in"]) + i]
        for k in torch.nonzero((gap < tau) & (top.reshape(-1) > 0)).reshape(-1).tolist():
            plane, window = divmod(k, values.shape[3])
            nn_, cc = divmod(plane, c)
            at = lambda tap: int(taps[nn_, cc, int(tap.reshape(-1)[k]), window]) + plane * h * w
            items.append(
                {"pool": i, "output": k, "winner": at(first), "runner_up": at(second), "scale": scale, "tau": tau}
            )
    return items


def loss_of(logits):
    r = torch.tensor(as_f32(2.0 * uniform("loss", logits.numel()) - 1.0), dtype=logits.dtype)
    return (logits.reshape(-1) * r).mean()


def fragile_elements(net, x, taus):
    """The fragile decisions (fragile_items) with g, the float64 loss's gradient at the op's output there: a
    flipped ReLU decision changes every upstream gradient by -+ g d(pre)/d(theta), a max pool's by
    g d(x_runner_up - x_winner)/d(theta). The test (and corrected_grads here) adds a term to the loss whose
    gradient is that change undone, so an f32 gradient is compared at float64's decisions."""
    state = {k: v.clone() for k, v in net.state_dict().items()}
    net.train()
    found = relu_inputs(net, x, True)
    outs = found["relu_out"] + found["pool_out"]
    g_out = torch.autograd.grad(loss_of(found["logits"]), outs)
    relus = len(found["relu_out"])
    items = fragile_items(found, taus)
    for item in items:
        if "relu" in item:
            item["g"] = float(g_out[item["relu"]].reshape(-1)[item["index"]])
        else:
            item["g"] = float(g_out[relus + item["pool"]].reshape(-1)[item["output"]])
    net.load_state_dict(state)
    return {"tau": FRAGILE, "relus": relus, "pools": len(found["pool_out"]), "items": items}


def fragile_taus(net, x):
    """Each ReLU's and max pool's tau: FRAGILE, or 4 times PyTorch f32's largest error on its input (relative to
    the input's largest magnitude) where that is larger: a decision that close to a tie may go either way."""
    net.float().train()
    found32 = relu_inputs(net, x.float())
    net.double().train()
    found64 = relu_inputs(net, x)
    taus = []
    for kind in ["relu_in", "pool_in"]:
        for p, q in zip(found32[kind], found64[kind]):
            error = float((p.double() - q).abs().max() / q.abs().max())
            taus.append(float(f"{max(FRAGILE, 4 * error):.2g}"))
    return taus


def flips(found, items):
    """The items a forward pass (found: relu_inputs of it) decides otherwise than float64 did."""
    out = []
    for e, item in enumerate(items):
        if "relu" in item:
            value = float(found["relu_in"][item["relu"]].reshape(-1)[item["index"]])
            if (value > 0) != (item["pre"] > 0):
                out.append(e)
        else:
            flat = found["pool_in"][item["pool"]].reshape(-1)
            a, b = float(flat[item["winner"]]), float(flat[item["runner_up"]])
            if b > a or (b == a and item["runner_up"] < item["winner"]):
                out.append(e)
    return out


def correction(found, items):
    """The term the test adds to the loss (test/e2e/net-parity.test.ts, fragileCorrection): for each ReLU
    item, pre * c with c = g (m64 - m), m64 float64's decision and m this pass's (constants); for each pool
    item, g f (x_winner - x_runner_up) with f = 1 where this pass routes the gradient to the runner-up. Its
    gradient is what this pass's flipped decisions changed, undone."""
    term = 0.0
    for item in items:
        if "relu" in item:
            pre = found["relu_in"][item["relu"]].reshape(-1)[item["index"]]
            c = item["g"] * (float(item["pre"] > 0) - float(pre.detach() > 0))
            term = term + pre * c
        else:
            flat = found["pool_in"][item["pool"]].reshape(-1)
            d = flat[item["winner"]] - flat[item["runner_up"]]
            flipped = float(d.detach() < 0 or (d.detach() == 0 and item["runner_up"] < item["winner"]))
            term = term + d * (item["g"] * flipped)
    return term


def corrected_grads(net, x, items):
    """Every parameter's gradient of the loss in x's dtype at float64's decisions of the items (the loss plus
    correction's term), and the items this pass decides otherwise."""
    state = {k: v.clone() for k, v in net.state_dict().items()}
    net.zero_grad()
    net.train()
    found = relu_inputs(net, x, True)
    (loss_of(found["logits"]) + correction(found, items)).backward()
    net.load_state_dict(state)
    grads = {key: param.grad.detach().clone() for key, param in net.named_parameters()}
    net.zero_grad()
    return grads, flips(found, items), found


def case(name, cls, depth, classes, shape, model):
    torch.manual_seed(0)
    net = cls(depth, classes).double()
    state = net.state_dict()
    keys = []
    loaded = {}
    for key, tensor in state.items():
        shape_of = list(tensor.shape)
        values = values_for(key, shape_of)
        if tensor.dtype == torch.int64:
            loaded[key] = torch.tensor(values.astype(np.int64).reshape(shape_of), dtype=torch.int64)
            keys.append({"name": key, "shape": shape_of, "dtype": "I64"})
        else:
            loaded[key] = torch.tensor(as_f32(values).reshape(shape_of), dtype=torch.float64)
            keys.append({"name": key, "shape": shape_of, "dtype": "F32"})
    net.load_state_dict(loaded, strict=True)
    x = torch.tensor(as_f32(uniform("input", int(np.prod(shape))) * 4.0 - 2.0).reshape(shape), dtype=torch.float64)
    logits_eval, logits_train, loss, grads = run(net, x)
    loss_scale = run.scale
    # PyTorch's own float32 error on the same measures: what an f32 computation of this case can reach.
    f32 = run(net.float(), x.float())
    result = {
        "logits_eval": summary("logits", logits_eval, LOGIT_SAMPLES),
        "logits_train": summary("logits", logits_train, LOGIT_SAMPLES),
        "loss": float(loss),
        "loss_scale": float(loss_scale),
        "grads": {key: summary(key, g, SAMPLES) for key, g in grads.items()},
    }
    result["logits_eval"]["f32_error"] = error_of(f32[0], result["logits_eval"])
    result["logits_train"]["f32_error"] = error_of(f32[1], result["logits_train"])
    result["loss_f32_error"] = abs(float(f32[2]) - float(loss)) / float(loss_scale)
    net.double()  # the weights are f32 values: exact both ways
    result["fragile"] = fragile_elements(net, x, fragile_taus(net, x))
    # PyTorch f32's own decisions at the fragile items, and its error at float64's decisions there (the test's
    # correction applied to PyTorch f32); f32_flips_outside: the ReLUs it decides otherwise than float64
    # outside the items (none, or the list is not complete).
    items = result["fragile"]["items"]
    net.float()
    grads32, flipped, found32 = corrected_grads(net, x.float(), items)
    net.double().train()
    found64 = relu_inputs(net, x)
    total = sum(int(((p > 0) != (q > 0)).sum()) for p, q in zip(found32["relu_in"], found64["relu_in"]))
    result["fragile"]["f32_flips"] = flipped
    result["fragile"]["f32_flips_outside"] = total - sum(1 for e in flipped if "relu" in items[e])
    for key, g in f32[3].items():
        result["grads"][key]["f32_error"] = error_of(g, result["grads"][key])
        result["grads"][key]["f32_error_corrected"] = error_of(grads32[key], result["grads"][key])
    params = sum(p.numel() for p in net.parameters())
    return {
        "name": name,
        "model": model,
        "depth": depth,
        "classes": classes,
        "input": shape,
        "keys": keys,
        "parameters": params,
        "output_shape": list(logits_train.shape),
        **result,
    }


# ---- segc's saved model in PyTorch -------------------------------------------------------------------------------

SAFETENSORS_DTYPES = {"F32": (np.float32, torch.float32), "I64": (np.int64, torch.int64)}


def read_safetensors(path):
    """A safetensors file read by its specification (8-byte little-endian header size, JSON header, data)."""
    with open(path, "rb") as f:
        data = f.read()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + size])
    header.pop("__metadata__", None)
    body = data[8 + size :]
    tensors = {}
    for key, entry in header.items():
        numpy_dtype, torch_dtype = SAFETENSORS_DTYPES[entry["dtype"]]
        start, end = entry["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=numpy_dtype).reshape(entry["shape"])
        tensors[key] = torch.tensor(array.copy(), dtype=torch_dtype)
    return tensors


def export_check(spec, result):
    """segc's model file of the case (export_nets.mts) into the reference module with load_state_dict(strict=True);
    the file's SHA-256 and size, and how far the loaded module's eval logits are from the reference's."""
    name, cls, depth, classes, shape, _ = spec
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.safetensors")
        root = os.path.dirname(os.path.dirname(HERE))
        subprocess.run(["npx", "tsx", "test/golden/export_nets.mts", name, path], cwd=root, check=True)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        size = os.path.getsize(path)
        state = read_safetensors(path)
    torch.manual_seed(0)
    net = cls(depth, classes).double()
    # The file's F32 values into the float64 module (load_state_dict copies them); strict: every key, no other.
    net.load_state_dict(state, strict=True)
    net.eval()
    x = torch.tensor(as_f32(uniform("input", int(np.prod(shape))) * 4.0 - 2.0).reshape(shape), dtype=torch.float64)
    with torch.no_grad():
        logits = net(x).reshape(-1)
    reference = result["logits_eval"]
    difference = max(abs(float(logits[i]) - v) for i, v in zip(reference["indices"], reference["values"]))
    difference = max(difference, abs(float(logits.norm()) - reference["norm"]))
    return {"sha256": digest, "bytes": size, "strict": True, "logits_eval_difference": difference}


def main():
    torch.set_num_threads(2)
    os.makedirs(OUTPUT, exist_ok=True)
    only = sys.argv[1:]
    for spec in CASES:
        if only and spec[0] not in only:
            continue
        result = case(*spec)
        path = os.path.join(OUTPUT, f"{spec[0]}.json")
        with open(path, "w") as f:
            json.dump(result, f, separators=(",", ":"))
            f.write("\n")
        # The export step reads the keys and the model call from the file just written.
        result["export"] = export_check(spec, result)
        with open(path, "w") as f:
            json.dump(result, f, separators=(",", ":"))
            f.write("\n")
        fragile = result["fragile"]
        print(spec[0], result["parameters"], "parameters", len(result["keys"]), "keys", f"loss {result['loss']:.6g}",
              len(fragile["items"]), "fragile decisions", "export", result["export"])


if __name__ == "__main__":
    main()
