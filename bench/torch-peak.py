# PyTorch's peak memory for the paper steps of ../shared/device/torch_paper.py, estimated without a GPU: the
# same models, loss and optimizers run on the meta device (shapes only) while every tensor storage an op
# creates is counted from its creation until PyTorch frees it (weak references), in 512-byte blocks as the
# CUDA caching allocator rounds them. The figure after two warm-up steps is what torch_paper.py's
# torch.cuda.max_memory_allocated() reports, less what kernels allocate inside themselves (cuDNN workspaces),
# so the measured peak is higher. Usage: /usr/bin/python3 bench/torch-peak.py [NET...] (unet-r50, fpn-r101,
# fpn-r101-8 (8 classes, as bench/paper_fpn_r101.seg), deeplabv3plus-r50).
import sys, torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.multiprocessing.reductions import StorageWeakRef
from torch.utils._pytree import tree_flatten

anchor = open(__file__.rsplit('/', 2)[0] + '/../shared/device/torch_paper.py').read()
tp = {}
exec(compile(anchor.split('print(torch.__version__')[0], 'torch_paper.py', 'exec'), tp)
# This torch's meta kernels count no classes for one_hot: the same allocation, made directly.
tp['F'].one_hot = lambda y, n: torch.empty(tuple(y.shape) + (n,), device=y.device, dtype=torch.int64)
meta = lambda shape, dtype=torch.float32: torch.empty(shape, device='meta', dtype=dtype)


class Tracker(TorchDispatchMode):
    """Live bytes of the storages ops have created and PyTorch still holds, and their most."""

    def __init__(s):
        super().__init__()
        s.live, s.now, s.peak = {}, 0, 0

    def add(s, t):
        storage = t.untyped_storage() if hasattr(t, 'untyped_storage') else t.storage().untyped()
        if storage._cdata in s.live:
            return
        n = (storage.nbytes() + 511) // 512 * 512
        s.live[storage._cdata] = (StorageWeakRef(storage), n)
        s.now += n

    def sweep(s):
        for key in [k for k, (ref, _) in s.live.items() if ref.expired()]:
            s.now -= s.live.pop(key)[1]

    def run(s, func, args, kwargs):
        # Ops without meta kernels in this torch: outputs of their shapes.
        name = func.overloadpacket.__name__
        if name == 'convolution_backward' and args[1].device.type == 'meta':
            grad, x, w, mask = args[0], args[1], args[2], args[-1]
            return (meta(x.shape) if mask[0] else None, meta(w.shape) if mask[1] else None,
                    meta(w.shape[0]) if mask[2] else None)
        if name == 'nll_loss2d_forward':
            return meta(()), meta(())
        if name == 'nll_loss2d_backward':
            return meta(args[1].shape)
        return func(*args, **kwargs)

    def __torch_dispatch__(s, func, types, args=(), kwargs=None):
        out = s.run(func, args, kwargs or {})
        s.sweep()
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                s.add(t)
        s.peak = max(s.peak, s.now)
        return out


def estimate(make, B, H, W, classes, optimizer, device='meta'):
    torch.manual_seed(0)
    with Tracker() as tracker:
        m = make().to(device).train()
        for p in list(m.parameters()) + list(m.buffers()):
            tracker.add(p)
        opt = (torch.optim.Adam(m.parameters(), 1e-4, foreach=False) if optimizer == 'adam' else
               torch.optim.SGD(m.parameters(), 0.01, momentum=0.9, nesterov=True, weight_decay=1e-4,
                               foreach=False))
        x = torch.randn(B, 3, H, W, device=device)
        y = torch.randint(0, 2 if classes == 1 else classes, (B, H, W), device=device)

        def step():
            opt.zero_grad(set_to_none=True)
            tp['loss_fn'](m(x), y).backward()
            opt.step()

        step(); step()
        tracker.sweep()
        between, tracker.peak = tracker.now, tracker.now
        step()
    return tracker.peak, between


NETS = {
    'unet-r50': (lambda: tp['Unet'](1, 50), 8, 512, 512, 1, 'adam'),
    'fpn-r101': (lambda: tp['FPN'](19, 101), 8, 512, 1024, 19, 'sgd'),
    'fpn-r101-8': (lambda: tp['FPN'](8, 101), 8, 512, 1024, 8, 'sgd'),
    'deeplabv3plus-r50': (lambda: tp['DeepLabV3Plus'](1, 50), 8, 512, 512, 1, 'adam'),
}

if __name__ == '__main__':
    # The counting itself, checked where CPU kernels exist: the meta and CPU runs of a small step agree.
    small = (lambda: tp['Unet'](1, 50), 2, 64, 64, 1, 'adam')
    assert estimate(*small) == estimate(*small, device='cpu'), 'meta and CPU counts differ'
    print(f'torch {torch.__version__}, meta device (a small step counted alike on the CPU)', flush=True)
    for name in sys.argv[1:] or NETS:
        make, B, H, W, classes, optimizer = NETS[name]
        peak, between = estimate(make, B, H, W, classes, optimizer)
        print(f'torch-meta {name} B={B} {H}x{W} classes={classes}: peak {peak / 2**20:.0f} MiB '
              f'({peak / 2**30:.2f} GiB); held between steps {between / 2**20:.0f} MiB', flush=True)
