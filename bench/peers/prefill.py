# PyTorch's prefill of one Llama-3-8B decoder layer, the peer of the prefill lab (src/labs/prefill), written beside the
# bench because ../shared/gpu/peers.py has no prefill. A prompt of T tokens through RMSNorm, the fused QKV product,
# rotary positions, causal SDPA (grouped query heads), the output product, the residual, RMSNorm, the fused gate and
# up product, SiLU·up, the down product and the residual: f16, random weights, eager and as a CUDA graph.
# Usage on the GPU machine: python3 bench/peers/prefill.py [T ...]   (default 512 2048). Prints peers.py's lines:
#   peer prefill llama-3-8b layer eager T=2048 f16: <µs> us tflops=<achieved>
import sys
import torch
import torch.nn.functional as F

dev, dt = 'cuda', torch.float16
d, dff, Hq, Hkv, D = 4096, 14336, 32, 8, 128
print(f'# {torch.cuda.get_device_name()} torch {torch.__version__}')


def bench(fn, reps=20):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(reps):
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) * 1e-3)
    times.sort()
    return times[len(times) // 2]


for T in [int(t) for t in sys.argv[1:]] or [512, 2048]:
    x = torch.randn(1, T, d, device=dev, dtype=dt)
    Wqkv = torch.randn((Hq + 2 * Hkv) * D, d, device=dev, dtype=dt) * d ** -0.5
    Wo = torch.randn(d, Hq * D, device=dev, dtype=dt) * d ** -0.5
    Wgu = torch.randn(2 * dff, d, device=dev, dtype=dt) * d ** -0.5
    Wd = torch.randn(d, dff, device=dev, dtype=dt) * dff ** -0.5
    g1, g2 = torch.ones(d, device=dev, dtype=dt), torch.ones(d, device=dev, dtype=dt)
    ang = torch.outer(torch.arange(T, device=dev, dtype=torch.float32), 500000.0 ** (-torch.arange(0, D, 2, device=dev) / D))
    cos, sin = ang.cos().to(dt)[None, :, None, :], ang.sin().to(dt)[None, :, None, :]

    def rms(h, g):
        return (h.float() * torch.rsqrt(h.float().pow(2).mean(-1, keepdim=True) + 1e-5)).to(dt) * g

    def rope(t):
        t1, t2 = t[..., : D // 2], t[..., D // 2 :]
        return torch.cat([t1 * cos - t2 * sin, t1 * sin + t2 * cos], -1)

    def layer():
        q, k, v = (rms(x, g1) @ Wqkv.T).split([Hq * D, Hkv * D, Hkv * D], -1)
        q = rope(q.view(1, T, Hq, D)).transpose(1, 2)
        k = rope(k.view(1, T, Hkv, D)).transpose(1, 2)
        v = v.view(1, T, Hkv, D).transpose(1, 2)
        o = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        h = x + o.transpose(1, 2).reshape(1, T, Hq * D) @ Wo.T
        gate, up = (rms(h, g2) @ Wgu.T).chunk(2, -1)
        return h + (F.silu(gate) * up) @ Wd.T

    # The products' FLOPs and causal attention's (half of the T×T scores), as the prefill lab's graph counts them.
    flops = 2 * T * d * ((Hq + 2 * Hkv) * D + Hq * D + 3 * dff) + 2 * 2 * Hq * D * T * T / 2
    t = bench(layer)
    print(f'peer prefill llama-3-8b layer eager T={T} f16: {t * 1e6:.1f} us tflops={flops / t / 1e12:.1f}')
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            layer()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        layer()
    t = bench(graph.replay)
    print(f'peer prefill llama-3-8b layer cuda-graph T={T} f16: {t * 1e6:.1f} us tflops={flops / t / 1e12:.1f}')
    del x, Wqkv, Wo, Wgu, Wd, graph
    torch.cuda.empty_cache()
