#!/usr/bin/python3
"""Pure numpy/torch reader and writer of safetensors files (tests only).

The Python `safetensors` package is not a Seek dependency, so the PyTorch
reference tests read Seek checkpoints and write their own files with this
module. It follows the format as docs/formats/safetensors.md describes it and
validates like Seek's reader (src/io/safetensors.cc) does: header length
bounds, JSON object without duplicate keys, known dtypes, non-negative integer
shapes, offsets that tile the data section exactly. Violations raise ValueError.

  load_file(path) -> dict[str, torch.Tensor]   (in data-section order)
  load_metadata(path) -> dict[str, str]
  save_file(tensors, path, metadata=None)      (dict order kept; atomic replace)

Command line (used by tests/io/safetensors_test.cc to cross-check Seek):

  safetensors_io.py --dump FILE              print FILE as JSON (dtype, shape, values)
  safetensors_io.py --write-demo FILE SEED   write a file of random F32/F16/BF16
                                             tensors and print it as --dump would
  safetensors_io.py --selftest               round trip every dtype in memory
"""

import json
import os
import sys

import numpy as np
import torch

MAX_HEADER_BYTES = 100_000_000

DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
_NAMES = {v: k for k, v in DTYPES.items()}

if sys.byteorder != "little":
    raise ImportError("safetensors_io assumes a little-endian host")


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"header has the key {k!r} twice")
        out[k] = v
    return out


def _is_uint(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _parse(data, label):
    """Returns (metadata, [(name, dtype_name, shape, begin, end)], data_start)."""
    if len(data) < 8:
        raise ValueError(f"{label}: file has {len(data)} bytes, fewer than the 8-byte header length")
    n = int.from_bytes(data[:8], "little")
    if n > MAX_HEADER_BYTES or n > len(data) - 8:
        raise ValueError(f"{label}: header length {n} is past the file end or the 100 MB limit")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as e:
        raise ValueError(f"{label}: header is not valid JSON: {e}") from None
    if not isinstance(header, dict):
        raise ValueError(f"{label}: header is not a JSON object")
    data_size = len(data) - 8 - n
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError(f"{label}: __metadata__ must be an object of strings")
    entries = []
    for name, info in header.items():
        where = f"{label}: tensor {name!r}"
        if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= info.keys():
            raise ValueError(f"{where}: entry needs dtype, shape and data_offsets")
        dt, shape, offs = info["dtype"], info["shape"], info["data_offsets"]
        if dt not in DTYPES:
            raise ValueError(f"{where}: unsupported dtype {dt!r}; known: {', '.join(DTYPES)}")
        if not isinstance(shape, list) or not all(_is_uint(d) for d in shape):
            raise ValueError(f"{where}: shape {shape!r} is not a list of integers >= 0")
        if not (isinstance(offs, list) and len(offs) == 2 and all(_is_uint(o) for o in offs)):
            raise ValueError(f"{where}: data_offsets {offs!r} is not [begin, end]")
        begin, end = offs
        nbytes = int(np.prod(shape, dtype=object)) * torch.tensor([], dtype=DTYPES[dt]).element_size()
        if begin > end or end > data_size or end - begin != nbytes:
            raise ValueError(f"{where}: data_offsets {offs} do not hold {dt} {shape} "
                             f"({nbytes} bytes) inside the {data_size}-byte data section")
        entries.append((name, dt, shape, begin, end))
    entries.sort(key=lambda e: (e[3], e[4], e[0]))
    cursor = 0
    for name, _, _, begin, end in entries:
        if begin != cursor:
            raise ValueError(f"{label}: tensor {name!r} starts at {begin}, expected {cursor} "
                             "(overlap or hole)")
        cursor = end
    if cursor != data_size:
        raise ValueError(f"{label}: tensors cover {cursor} of {data_size} data bytes")
    return metadata, entries, 8 + n


def loads(data, label="<bytes>"):
    """Parses safetensors bytes into a dict of tensors (CPU, own memory)."""
    _, entries, start = _parse(data, label)
    out = {}
    for name, dt, shape, begin, end in entries:
        raw = bytearray(data[start + begin:start + end])
        t = torch.frombuffer(raw, dtype=DTYPES[dt]) if raw else torch.empty(0, dtype=DTYPES[dt])
        out[name] = t.reshape(shape)
    return out


def load_file(path):
    with open(path, "rb") as f:
        return loads(f.read(), path)


def load_metadata(path):
    with open(path, "rb") as f:
        return _parse(f.read(), path)[0]


def dumps(tensors, metadata=None):
    """Serialises tensors (dict order kept) to safetensors bytes."""
    header, blobs, off = {}, [], 0
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise ValueError(f"metadata {k!r}: {v!r}: keys and values must be str")
        header["__metadata__"] = dict(metadata)
    for name, t in tensors.items():
        if name == "__metadata__":
            raise ValueError("'__metadata__' cannot name a tensor")
        t = t.detach().cpu().contiguous()
        if t.dtype not in _NAMES:
            raise ValueError(f"tensor {name!r}: dtype {t.dtype} is not supported")
        # Reinterpret as bytes; numpy has no bfloat16, so go through a same-size int view.
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * (-len(h) % 8)  # 8-byte aligned data section, as the reference writer pads
    return len(h).to_bytes(8, "little") + h + b"".join(blobs)


def save_file(tensors, path, metadata=None):
    data = dumps(tensors, metadata)
    tmp = f"{path}.tmp.{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _describe(tensors, metadata):
    return {
        "metadata": metadata,
        "tensors": {
            name: {"dtype": _NAMES[t.dtype], "shape": list(t.shape),
                   "values": t.double().reshape(-1).tolist()}
            for name, t in tensors.items()
        },
    }


def _demo_tensors(seed):
    g = torch.Generator().manual_seed(seed)
    return {
        "demo.f32": torch.randn(3, 5, generator=g),
        "demo.bf16": (torch.randn(4, 3, generator=g) * 10).to(torch.bfloat16),
        "demo.f16": (torch.randn(7, generator=g) * 100).to(torch.float16),
        "demo.scalar": torch.randn((), generator=g),
        "demo.empty": torch.zeros(0, 3),
        "demo.f16_tiny": (torch.randn(2, 2, 2, generator=g) * 1e-6).to(torch.float16),
    }


def _selftest():
    g = torch.Generator().manual_seed(1)
    tensors = {}
    for name, dt in DTYPES.items():
        x = torch.randn(2, 3, generator=g) * 50
        tensors[f"t.{name}"] = x > 0 if dt == torch.bool else x.to(dt)
    tensors["t.empty"] = torch.zeros(0, 4, dtype=torch.bfloat16)
    tensors["t.scalar"] = torch.tensor(1.5)
    data = dumps(tensors, {"k": "v"})
    back = loads(data)
    assert list(back) == list(tensors), (list(back), list(tensors))
    for name, t in tensors.items():
        assert back[name].dtype == t.dtype and back[name].shape == t.shape, name
        assert torch.equal(back[name], t), name
    for cut in range(len(data)):
        try:
            loads(data[:cut])
        except ValueError:
            continue
        raise AssertionError(f"truncation at {cut} was accepted")
    print("selftest ok")


def main(argv):
    if len(argv) == 3 and argv[1] == "--dump":
        print(json.dumps(_describe(load_file(argv[2]), load_metadata(argv[2]))))
    elif len(argv) == 4 and argv[1] == "--write-demo":
        tensors = _demo_tensors(int(argv[3]))
        metadata = {"producer": "safetensors_io.py", "seed": argv[3]}
        save_file(tensors, argv[2], metadata)
        print(json.dumps(_describe(tensors, metadata)))
    elif len(argv) == 2 and argv[1] == "--selftest":
        _selftest()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
