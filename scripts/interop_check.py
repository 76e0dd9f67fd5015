#!/usr/bin/env python3
"""Checks Shears' exports with outside tools (run by the tests through .venv-test/bin/python).

  onnx        run an exported .onnx in onnxruntime on the test images; compare with Shears' logits
  torch       evaluate a --format torch export with a numpy vgg-s or resnet-s forward (PyTorch's
              formulas), after checking its names and shapes as load_state_dict(strict=True) would
  make-torch  write a Shears vgg-s's weights, or a resnet-s torch export's tensors, as a state dict
              PyTorch would save (no metadata, int64 num_batches_tracked) with safetensors.numpy

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
# resnet-s (shared/reference/resnet-s.md): stages of BasicBlocks; the first block of every
# stage but the first strides by 2 and has a projection shortcut (downsample.0/1).
RESNET_S_STAGES, RESNET_S_BLOCKS, RESNET_S_CLASSES = 3, 3, 10
BN_EPS = np.float32(1e-5)


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
    images, labels = test_set(args.data_dir)
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
    accuracy, expected = (100 * np.mean(np.argmax(x, 1) == labels) for x in (logits, reference))
    print(f"onnx: {len(images)} images, max |logit difference| {difference:.3e}, "
          f"top-1 agreement {agree}/{len(images)}, accuracy {accuracy:.2f}% (shears {expected:.2f}%), "
          f"input {inputs[0].shape}")
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


def conv2d(x, weight, bias=None, stride=1, padding=0):
    """PyTorch's Conv2d (square kernel, no dilation or groups) on channel-first activations
    (C, N, H, W): out[f, n, y, x] = bias[f] + sum_{c,i,j} weight[f, c, i, j] * in[c, n, s*y + i - p, s*x + j - p]."""
    c, n, h, w = x.shape
    k = weight.shape[2]
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho, wo = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    out = np.zeros((weight.shape[0], n * ho * wo), np.float32)
    for dy in range(k):
        for dx in range(k):
            window = padded[:, :, dy:dy + stride * (ho - 1) + 1:stride, dx:dx + stride * (wo - 1) + 1:stride]
            out += weight[:, :, dy, dx] @ window.reshape(c, -1)
    out = out.reshape(weight.shape[0], n, ho, wo)
    return out if bias is None else out + bias[:, None, None, None]


def conv3x3(x, weight, bias):
    """PyTorch's Conv2d(3x3, stride 1, padding 1) on channel-first activations (C, N, H, W)."""
    return conv2d(x, weight, bias, stride=1, padding=1)


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


def resnet_blocks():
    """(prefix, stage, stride, has projection) of every BasicBlock of resnet-s, in order."""
    for stage in range(1, RESNET_S_STAGES + 1):
        for block in range(RESNET_S_BLOCKS):
            first = block == 0 and stage > 1
            yield f"layer{stage}.{block}", stage, 2 if first else 1, first


def batch_norm_shapes(name, width):
    """BatchNorm2d's float tensors; its int64 num_batches_tracked is handled apart."""
    return {f"{name}.{t}": (width,) for t in ("weight", "bias", "running_mean", "running_var")}


def expected_resnet_tensors(state):
    """The (name -> shape) of the torchvision-style resnet-s module of resnet-s.md built with
    the widths of `state`: each stage's width (read from its first block's conv2) and each
    block's inner width (its conv1's filters). Raises KeyError for a missing width-giving tensor."""
    stage_width = {stage: state[f"layer{stage}.0.conv2.weight"].shape[0] for stage in range(1, RESNET_S_STAGES + 1)}
    shapes = {"conv1.weight": (stage_width[1], 1, 3, 3), **batch_norm_shapes("bn1", stage_width[1])}
    channels = stage_width[1]
    for prefix, stage, _, projects in resnet_blocks():
        width, inner = stage_width[stage], state[f"{prefix}.conv1.weight"].shape[0]
        shapes[f"{prefix}.conv1.weight"] = (inner, channels, 3, 3)
        shapes.update(batch_norm_shapes(f"{prefix}.bn1", inner))
        shapes[f"{prefix}.conv2.weight"] = (width, inner, 3, 3)
        shapes.update(batch_norm_shapes(f"{prefix}.bn2", width))
        if projects:
            shapes[f"{prefix}.downsample.0.weight"] = (width, channels, 1, 1)
            shapes.update(batch_norm_shapes(f"{prefix}.downsample.1", width))
        channels = width
    shapes["fc.weight"], shapes["fc.bias"] = (RESNET_S_CLASSES, channels), (RESNET_S_CLASSES,)
    return shapes


def batch_norm(x, state, name):
    """BatchNorm2d in eval mode on (C, N, H, W): (x - running_mean) * (1 / sqrt(running_var + eps)) * weight + bias."""
    def per_channel(t):
        return state[f"{name}.{t}"][:, None, None, None]
    inverse_std = np.float32(1) / np.sqrt(per_channel("running_var") + BN_EPS)
    return (x - per_channel("running_mean")) * inverse_std * per_channel("weight") + per_channel("bias")


def resnet_s_forward(state, images):
    """Logits of torchvision-style resnet-s (ResNet / BasicBlock) with these tensors, in numpy (float32)."""
    x = images.transpose(1, 0, 2, 3)
    x = np.maximum(batch_norm(conv2d(x, state["conv1.weight"], padding=1), state, "bn1"), 0)
    for prefix, _, stride, projects in resnet_blocks():
        out = np.maximum(batch_norm(conv2d(x, state[f"{prefix}.conv1.weight"], stride=stride, padding=1),
                                    state, f"{prefix}.bn1"), 0)
        out = batch_norm(conv2d(out, state[f"{prefix}.conv2.weight"], padding=1), state, f"{prefix}.bn2")
        shortcut = x
        if projects:
            shortcut = batch_norm(conv2d(x, state[f"{prefix}.downsample.0.weight"], stride=stride),
                                  state, f"{prefix}.downsample.1")
        x = np.maximum(out + shortcut, 0)
    pooled = x.mean(axis=(2, 3)).T                      # AdaptiveAvgPool2d(1) + flatten: (N, C)
    return pooled @ state["fc.weight"].T + state["fc.bias"]


LAYOUTS = {
    "vgg-s": (expected_tensors, vgg_s_forward),
    "resnet-s": (expected_resnet_tensors, resnet_s_forward),
}


def check_torch(args):
    state = load_file(args.model)
    with safe_open(args.model, framework="numpy") as f:
        metadata = f.metadata() or {}
    expected_of, forward = LAYOUTS[args.layout]
    # PyTorch's BatchNorm loader fills a missing num_batches_tracked for a state dict without
    # version metadata (as safetensors' load_file returns); present, it must be an int64 scalar.
    counters = {name: tensor for name, tensor in state.items() if name.endswith(".num_batches_tracked")}
    state = {name: tensor for name, tensor in state.items() if name not in counters}
    try:
        expected = expected_of(state)
    except KeyError as missing:
        print(f"torch: tensors do not fit the PyTorch module: {missing} is missing")
        return 1
    batch_norms = {name[:-len(".running_mean")] for name in expected if name.endswith(".running_mean")}
    bad_counters = sorted(name for name, tensor in counters.items()
                          if name[:-len(".num_batches_tracked")] not in batch_norms
                          or tensor.dtype != np.int64 or tensor.shape != ())
    if bad_counters:
        print(f"torch: num_batches_tracked tensors that do not fit the module: {bad_counters}")
        return 1
    actual = {name: tuple(tensor.shape) for name, tensor in state.items()}
    if actual != expected:
        print(f"torch: tensors do not fit the PyTorch module (load_state_dict strict=True would fail): "
              f"missing {sorted(set(expected) - set(actual))}, unexpected {sorted(set(actual) - set(expected))}, "
              f"misshapen {sorted(n for n in set(actual) & set(expected) if actual[n] != expected[n])}")
        return 1
    images, labels = test_set(args.data_dir)
    if args.limit:
        images, labels = images[:args.limit], labels[:args.limit]
    logits = np.concatenate([forward(state, images[start:start + 500]) for start in range(0, len(images), 500)])
    accuracy = 100 * int(np.sum(np.argmax(logits, 1) == labels)) / len(images)
    # A file straight from PyTorch has no metadata: only Shears' exports record an accuracy.
    recorded = float(metadata.get("exported_accuracy", "nan"))
    ok = abs(accuracy - args.expected_accuracy) <= 0.01 + 1e-9
    if "exported_accuracy" in metadata:
        ok = ok and abs(accuracy - recorded) <= 0.01 + 1e-9
    comparison = ""
    if args.reference:
        reference = load_file(args.reference)["logits"]
        if reference.shape != logits.shape:
            print(f"torch: reference logits {reference.shape} for {logits.shape} computed")
            return 1
        difference = float(np.max(np.abs(logits - reference)))
        agree = int(np.sum(np.argmax(logits, 1) == np.argmax(reference, 1)))
        comparison = f", max |logit difference| {difference:.3e}, top-1 agreement {agree}/{len(images)}"
        ok = ok and difference <= args.tolerance
    print(f"torch: {args.layout}, {len(images)} images, numpy accuracy {accuracy:.2f}%, recorded {recorded:.2f}%, "
          f"expected {args.expected_accuracy:.2f}%{comparison}")
    return 0 if ok else 1


def make_torch(args):
    """A state dict as PyTorch would save it, with no Shears metadata.

    vgg-s: only the weights and biases of a Shears checkpoint, plus one int64
    `num_batches_tracked` scalar, the kind of tensor a BatchNorm adds (vgg-s has none; the
    importer must accept and ignore it). resnet-s: the float tensors of a `shears export
    --format torch` file, plus an int64 `num_batches_tracked` scalar per BatchNorm (values
    3, 4, ...), as `model.state_dict()` has them."""
    shears = load_file(args.source)
    if args.layout == "resnet-s":
        state = {name: np.ascontiguousarray(tensor, dtype=np.float32) for name, tensor in shears.items()}
        norms = sorted(name[:-len(".running_mean")] for name in state if name.endswith(".running_mean"))
        for step, norm in enumerate(norms):
            state[f"{norm}.num_batches_tracked"] = np.array(3 + step, dtype=np.int64)
        save_file(state, args.out)
        print(f"make-torch: wrote {len(state)} tensors ({len(norms)} int64 counters) to {args.out}")
        return 0
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
    torch.add_argument("--layout", choices=sorted(LAYOUTS), default="vgg-s", help="the PyTorch module the tensors are for")
    torch.add_argument("--reference", help="safetensors file with 'logits' (N x classes) to compare the numpy logits with")
    torch.add_argument("--tolerance", type=float, default=1e-4, help="largest |logit difference| with --reference")
    torch.add_argument("--limit", type=int, default=0, help="only the first LIMIT test images (0: all)")
    torch.add_argument("--data-dir", default=DATA_DIR)
    make = commands.add_parser("make-torch")
    make.add_argument("source")
    make.add_argument("--out", required=True)
    make.add_argument("--layout", choices=sorted(LAYOUTS), default="vgg-s",
                      help="vgg-s: source is a Shears checkpoint; resnet-s: source is a --format torch export")
    args = parser.parse_args()
    return {"onnx": check_onnx, "torch": check_torch, "make-torch": make_torch}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
