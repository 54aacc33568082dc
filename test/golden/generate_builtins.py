# Writes test/golden/builtins/cases.json: PyTorch float64 values and gradients of the math built-ins of .seg, each as
# sum(f(z) * r) (test/fixtures/builtins.seg), for test/e2e/builtins.test.ts.
# Run: /usr/bin/python3 test/golden/generate_builtins.py
import json, os
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(7)
shape = (2, 3, 7)
# Values spread over [-6, 6], with exact zeros and boundary values where kinks are (torch's subgradients there).
z = torch.randn(shape, generator=g) * 3
z.view(-1)[:6] = torch.tensor([0.0, -0.5, 0.75, 0.1, 0.2, 40.0])
r = torch.randn(shape, generator=g)
CASES = {
    'softplus_case': lambda z, r: (F.softplus(z) * r).sum(),
    'log_sigmoid_case': lambda z, r: (F.logsigmoid(z) * r).sum(),
    'tanh_case': lambda z, r: (torch.tanh(z) * r).sum(),
    'log1p_case': lambda z, r: (torch.log1p(z.abs()) * r).sum(),
    'leaky_relu_case': lambda z, r: (F.leaky_relu(z, 0.2) * r).sum(),
    'clamp_case': lambda z, r: (torch.clamp(z, -0.5, 0.75) * r).sum(),
    'clamp_min_case': lambda z, r: (torch.clamp(z, min=0.1) * r).sum(),
    'pow_case': lambda z, r: (z.pow(3) * r + z.abs().pow(1.5) * r).sum(),
    'where_case': lambda z, r: (torch.where(z > 0.2, torch.exp(z), z * z) * r).sum(),
    'logsumexp_case': lambda z, r: (torch.logsumexp(z, 1) * r.sum(1)).sum(),
    'min_case': lambda z, r: (z.min(1).values * r.sum(1)).sum(),
    'sigmoid_case': lambda z, r: (torch.sigmoid(z) * r).sum(),
}
out = []
for name, f in CASES.items():
    zz, rr = z.clone().requires_grad_(True), r.clone().requires_grad_(True)
    value = f(zz, rr)
    gz, gr = torch.autograd.grad(value, [zz, rr])
    out.append({'loss': name, 'z': z.flatten().tolist(), 'r': r.flatten().tolist(), 'shape': list(shape),
                'value': value.item(), 'grad_z': gz.flatten().tolist(), 'grad_r': gr.flatten().tolist()})
path = os.path.join(os.path.dirname(__file__), 'builtins', 'cases.json')
with open(path, 'w') as fh:
    json.dump(out, fh, separators=(',', ':'))
print(f'wrote {len(out)} cases to {path} (torch {torch.__version__})')
