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

Run with /usr/bin/python3 (Debian's python3-torch and python3-torchvision); the output is identical on every
run. CI reads the JSON only.
"""
import json
import os

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
        return 0.3 + 0.4 * u
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

# name, class, depth, classes, input [N, C, H, W], the segc model call
CASES = [
    ("unet_r18", Unet, 18, 3, [2, 3, 64, 64], "unet_resnet(depth = 18, classes = 3)"),
    ("unet_r50", Unet, 50, 3, [2, 3, 64, 64], "unet_resnet(depth = 50, classes = 3)"),
    ("fpn_r50", FPN, 50, 3, [2, 3, 64, 64], "fpn_resnet(depth = 50, classes = 3, dropout = 0)"),
    ("fpn_r101", FPN, 101, 3, [2, 3, 64, 64], "fpn_resnet(depth = 101, classes = 3, dropout = 0)"),
    ("deeplab_r50", DeepLabV3Plus, 50, 3, [8, 3, 32, 32], "deeplabv3plus_resnet(depth = 50, classes = 3, aspp_dropout = 0)"),
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
    for key, g in f32[3].items():
        result["grads"][key]["f32_error"] = error_of(g, result["grads"][key])
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


def main():
    torch.set_num_threads(2)
    os.makedirs(OUTPUT, exist_ok=True)
    for spec in CASES:
        result = case(*spec)
        with open(os.path.join(OUTPUT, f"{spec[0]}.json"), "w") as f:
            json.dump(result, f, separators=(",", ":"))
            f.write("\n")
        print(spec[0], result["parameters"], "parameters", len(result["keys"]), "keys", f"loss {result['loss']:.6g}")


if __name__ == "__main__":
    main()
