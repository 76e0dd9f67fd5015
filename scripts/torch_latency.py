#!/usr/bin/env python3
"""PyTorch's batch-1 and batch-256 inference time per image, measured as `shears bench latency` does.

The models come from the shared peer script (shared/peers/torch_throughput.py, imported by path),
so both sides run the same architecture: eval mode, `torch.inference_mode()`, the first 256 test
images as one batch (best of 3 passes) and the first --singles test images one by one, best of
--rounds rounds, for NCHW and channels-last. Prints one JSON object (ms per image).
Run from scripts/bench-compare's venv: .venv-peers/bin/python scripts/torch_latency.py --model vgg-s
"""
import argparse
import importlib.util
import json
import os
import time

import torch


def peer_module(path):
    spec = importlib.util.spec_from_file_location("torch_throughput", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["vgg-s", "resnet-s"], default="vgg-s")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--singles", type=int, default=64)
    ap.add_argument("--peer", default=os.path.join(here, "..", "..", "shared", "peers", "torch_throughput.py"))
    a = ap.parse_args()
    peer = peer_module(a.peer)
    torch.set_num_threads(a.threads)
    images, _ = peer.load(peer.DATA, "test")
    out = {"model": a.model, "threads": a.threads, "torch": torch.__version__}
    for channels_last in (False, True):
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        tag = "channels_last" if channels_last else "nchw"
        torch.manual_seed(0)
        model = (peer.vgg_s() if a.model == "vgg-s" else peer.ResNetS()).to(memory_format=fmt).eval()
        batch = images[:256].contiguous(memory_format=fmt)
        singles = [images[i:i + 1].contiguous(memory_format=fmt) for i in range(a.singles)]
        best_batch, best_single = float("inf"), float("inf")
        with torch.inference_mode():
            model(batch)
            for _ in range(a.rounds):
                for _ in range(3):
                    start = time.perf_counter()
                    model(batch)
                    best_batch = min(best_batch, (time.perf_counter() - start) * 1e3 / 256)
                start = time.perf_counter()
                for x in singles:
                    model(x)
                best_single = min(best_single, (time.perf_counter() - start) * 1e3 / len(singles))
        out[f"batch1_{tag}_ms"] = best_single
        out[f"batch256_{tag}_ms"] = best_batch
    print(json.dumps(out))


if __name__ == "__main__":
    main()
