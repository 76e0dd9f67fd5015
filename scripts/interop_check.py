#!/usr/bin/env python3
"""Checks Shears' exports with outside tools (run by the tests through .venv-test/bin/python).

  onnx        run an exported .onnx in onnxruntime on the test images; compare with Shears' logits
  torch       evaluate a --format torch export with a numpy vgg-s forward (PyTorch's formulas)
  make-torch  write a Shears vgg-s's weights as a PyTorch-named state dict with safetensors.numpy

Every check prints one line of figures and exits non-zero when it fails.
"""
import argparse
import gzip
import os
import sys

import numpy as np
from safetensors.numpy import load_file, save_file
from safetensors import safe_open

DATA_DIR = "/usr/share/datasets/fashion-mnist"
# vgg-s (shared/reference/vgg-s.md): conv widths or "M"; one hidden linear layer.
VGG_S = ["C", "C", "M", "C", "C", "M", "C", "M"]
VGG_S_HIDDEN_LAYERS = 1


def read_idx(path):
    """An IDX file (big-endian dims, u8 data), gzip-compressed or plain."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not a u8 IDX file")
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def test_set(data_dir):
    """Normalised test images (N, 1, 28, 28) float32 as Shears computes them, and labels."""
    def find(stem):
        for name in (stem + ".gz", stem):
            if os.path.exists(os.path.join(data_dir, name)):
                return os.path.join(data_dir, name)
        raise FileNotFoundError(f"{stem} in {data_dir}")
    pixels = read_idx(find("t10k-images-idx3-ubyte"))
    labels = read_idx(find("t10k-labels-idx1-ubyte")).astype(np.int64)
    mean, std = np.float32(0.2860), np.float32(0.3530)
    scale, shift = np.float32(1) / (np.float32(255) * std), -mean / std
    images = pixels.astype(np.float32) * scale + shift
    return images[:, None, :, :].astype(np.float32), labels


def check_onnx(args):
    import onnxruntime as ort
    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    inputs, outputs = session.get_inputs(), session.get_outputs()
    names = ([i.name for i in inputs], [o.name for o in outputs])
    if names != (["input"], ["logits"]) or not isinstance(inputs[0].shape[0], str):
        print(f"onnx: expected input 'input' and output 'logits' with a named batch dimension, "
              f"got {names}, input shape {inputs[0].shape}")
        return 1
    images, _ = test_set(args.data_dir)
    reference = load_file(args.reference)["logits"]
    if reference.shape[0] != images.shape[0]:
        print(f"onnx: {reference.shape[0]} reference rows for {images.shape[0]} images")
        return 1
    # Batch sizes 1, 7 and 1000 on the way: the batch dimension must be free.
    pieces, start = [], 0
    for size in [1, 7] + [1000] * (len(images) // 1000 + 1):
        if start >= len(images):
            break
        pieces.append(session.run(["logits"], {"input": images[start:start + size]})[0])
        start += size
    logits = np.concatenate(pieces)
    difference = float(np.max(np.abs(logits - reference)))
    agree = int(np.sum(np.argmax(logits, 1) == np.argmax(reference, 1)))
    print(f"onnx: {len(images)} images, max |logit difference| {difference:.3e}, "
          f"top-1 agreement {agree}/{len(images)}, input {inputs[0].shape}")
    return 0 if difference <= args.tolerance and agree == len(images) else 1


def expected_tensors(state):
    """The (name -> shape) a torchvision-style vgg-s built with the widths of `state` has."""
    shapes, position, channels = {}, 0, 1
    for item in VGG_S:
        if item == "M":
            position += 1
            continue
        width = state[f"features.{position}.weight"].shape[0]
        shapes[f"features.{position}.weight"] = (width, channels, 3, 3)
        shapes[f"features.{position}.bias"] = (width,)
        channels, position = width, position + 2
    size = 28
    for item in VGG_S:
        size = size // 2 if item == "M" else size
    inputs = channels * size * size
    for index in range(VGG_S_HIDDEN_LAYERS + 1):
        width = state[f"classifier.{2 * index}.weight"].shape[0]
        shapes[f"classifier.{2 * index}.weight"] = (width, inputs)
        shapes[f"classifier.{2 * index}.bias"] = (width,)
        inputs = width
    return shapes


def conv3x3(x, weight, bias):
    """PyTorch's Conv2d(3x3, stride 1, padding 1) on channel-first activations (C, N, H, W)."""
    c, n, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((weight.shape[0], n * h * w), np.float32)
    for dy in range(3):
        for dx in range(3):
            out += weight[:, :, dy, dx] @ padded[:, :, dy:dy + h, dx:dx + w].reshape(c, -1)
    return out.reshape(weight.shape[0], n, h, w) + bias[:, None, None, None]


def vgg_s_forward(state, images):
    """Logits of torchvision-style vgg-s with these tensors, in numpy (float32)."""
    x, position = images.transpose(1, 0, 2, 3), 0
    for item in VGG_S:
        if item == "M":
            c, n, h, w = x.shape
            x = x[:, :, :h // 2 * 2, :w // 2 * 2].reshape(c, n, h // 2, 2, w // 2, 2).max(axis=(3, 5))
            position += 1
        else:
            x = np.maximum(conv3x3(x, state[f"features.{position}.weight"], state[f"features.{position}.bias"]), 0)
            position += 2
    x = x.transpose(1, 0, 2, 3).reshape(x.shape[1], -1)
    for index in range(VGG_S_HIDDEN_LAYERS + 1):
        x = x @ state[f"classifier.{2 * index}.weight"].T + state[f"classifier.{2 * index}.bias"]
        if index < VGG_S_HIDDEN_LAYERS:
            x = np.maximum(x, 0)
    return x


def check_torch(args):
    state = load_file(args.model)
    with safe_open(args.model, framework="numpy") as f:
        metadata = f.metadata() or {}
    expected = expected_tensors(state)
    actual = {name: tuple(tensor.shape) for name, tensor in state.items()}
    if actual != expected:
        print(f"torch: tensors do not fit the PyTorch module (load_state_dict strict=True would fail): "
              f"missing {sorted(set(expected) - set(actual))}, unexpected {sorted(set(actual) - set(expected))}, "
              f"misshapen {sorted(n for n in set(actual) & set(expected) if actual[n] != expected[n])}")
        return 1
    images, labels = test_set(args.data_dir)
    correct = 0
    for start in range(0, len(images), 500):
        logits = vgg_s_forward(state, images[start:start + 500])
        correct += int(np.sum(np.argmax(logits, 1) == labels[start:start + 500]))
    accuracy = 100 * correct / len(images)
    recorded = float(metadata.get("exported_accuracy", "nan"))
    print(f"torch: {len(images)} images, numpy accuracy {accuracy:.2f}%, recorded {recorded:.2f}%, "
          f"expected {args.expected_accuracy:.2f}%")
    ok = abs(accuracy - args.expected_accuracy) <= 0.01 + 1e-9 and abs(accuracy - recorded) <= 0.01 + 1e-9
    return 0 if ok else 1


def make_torch(args):
    """A state dict as PyTorch would save it: only weights and biases, no Shears metadata,
    plus one int64 `num_batches_tracked` scalar, the kind of tensor a BatchNorm adds
    (vgg-s has none; the importer must accept and ignore it)."""
    shears = load_file(args.source)
    state = {name: np.ascontiguousarray(tensor, dtype=np.float32) for name, tensor in shears.items()
             if name.endswith(".weight") or name.endswith(".bias")}
    state["features.0.num_batches_tracked"] = np.array(7, dtype=np.int64)
    save_file(state, args.out)
    print(f"make-torch: wrote {len(state)} tensors to {args.out}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    onnx = commands.add_parser("onnx")
    onnx.add_argument("model")
    onnx.add_argument("--reference", required=True, help="safetensors file with 'logits' (N x classes) from Shears")
    onnx.add_argument("--tolerance", type=float, default=1e-4)
    onnx.add_argument("--data-dir", default=DATA_DIR)
    torch = commands.add_parser("torch")
    torch.add_argument("model")
    torch.add_argument("--expected-accuracy", type=float, required=True, help="percent, as shears export printed it")
    torch.add_argument("--data-dir", default=DATA_DIR)
    make = commands.add_parser("make-torch")
    make.add_argument("source")
    make.add_argument("--out", required=True)
    args = parser.parse_args()
    return {"onnx": check_onnx, "torch": check_torch, "make-torch": make_torch}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
