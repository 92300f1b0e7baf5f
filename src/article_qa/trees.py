"""Fitted tree models (LightGBM's ``Booster.dump_model()`` JSON), evaluated
without the training library: the sentence ranker, the decline model and the
short-answer scorer all run through :class:`TreeEnsemble`."""

from __future__ import annotations

from functools import cached_property

import numpy as np


class TreeEnsemble:
    """A LightGBM model's trees (from ``Booster.dump_model()``), evaluated by
    ONNX Runtime's TreeEnsembleRegressor (tens of microseconds for a
    question's candidates; the engine already runs ONNX Runtime), with a
    plain numpy walk as the reference it is tested against."""

    def __init__(self, dump: dict, features: tuple[str, ...]) -> None:
        if dump.get("feature_names") and tuple(dump["feature_names"]) != tuple(features):
            raise ValueError("the model file was fitted on other features; retrain it (make train)")
        feature, threshold, left, right, value = [], [], [], [], []
        roots = []
        for tree in dump["tree_info"]:
            roots.append(len(feature))
            self._flatten(tree["tree_structure"], feature, threshold, left, right, value)
        self._feature = np.asarray(feature, dtype=np.int64)
        self._threshold = np.asarray(threshold, dtype=np.float64)
        self._left = np.asarray(left, dtype=np.int64)
        self._right = np.asarray(right, dtype=np.int64)
        self._value = np.asarray(value, dtype=np.float64)
        self._roots = np.asarray(roots, dtype=np.int64)

    @staticmethod
    def _flatten(node: dict, feature, threshold, left, right, value) -> int:
        at = len(feature)
        feature.append(-1)
        threshold.append(0.0)
        left.append(at)
        right.append(at)
        value.append(float(node.get("leaf_value", 0.0)))
        if "split_index" in node:
            if node.get("decision_type", "<=") != "<=":
                raise ValueError("only numerical '<=' splits are supported")
            feature[at] = int(node["split_feature"])
            threshold[at] = float(node["threshold"])
            left[at] = TreeEnsemble._flatten(node["left_child"], feature, threshold, left, right, value)
            right[at] = TreeEnsemble._flatten(node["right_child"], feature, threshold, left, right, value)
        return at

    def predict(self, rows: np.ndarray) -> np.ndarray:
        rows = np.ascontiguousarray(rows, dtype=np.float32)
        if len(rows) == 0:
            return np.zeros(0)
        return self._session().run(None, {"rows": rows})[0][:, 0].astype(np.float64)

    @cached_property
    def _sessions(self) -> list:
        return []

    def _session(self):
        """Built on first use and kept (one per ensemble; ONNX Runtime
        sessions are safe to run from many threads)."""
        if not self._sessions:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            self._sessions.append(onnxruntime.InferenceSession(
                self._onnx_model(), options, providers=["CPUExecutionProvider"]))
        return self._sessions[0]

    def _onnx_model(self) -> bytes:
        from onnx import TensorProto, helper

        tree_of = np.searchsorted(self._roots, np.arange(len(self._feature)), side="right") - 1
        local = np.arange(len(self._feature)) - self._roots[tree_of]
        leaf = self._feature < 0
        node = helper.make_node(
            "TreeEnsembleRegressor", ["rows"], ["scores"], domain="ai.onnx.ml", n_targets=1,
            nodes_treeids=tree_of.tolist(), nodes_nodeids=local.tolist(),
            nodes_featureids=np.where(leaf, 0, self._feature).tolist(),
            nodes_values=self._threshold.astype(np.float32).tolist(),
            nodes_modes=["LEAF" if is_leaf else "BRANCH_LEQ" for is_leaf in leaf],
            nodes_truenodeids=(self._left - self._roots[tree_of]).tolist(),
            nodes_falsenodeids=(self._right - self._roots[tree_of]).tolist(),
            nodes_missing_value_tracks_true=[0] * len(leaf),
            target_treeids=tree_of[leaf].tolist(), target_nodeids=local[leaf].tolist(),
            target_ids=[0] * int(leaf.sum()), target_weights=self._value[leaf].tolist(),
            aggregate_function="SUM", post_transform="NONE")
        graph = helper.make_graph([node], "trees",
                                  [helper.make_tensor_value_info("rows", TensorProto.FLOAT, [None, None])],
                                  [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [None, 1])])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                        helper.make_opsetid("ai.onnx.ml", 3)])
        return model.SerializeToString()

    def predict_reference(self, rows: np.ndarray) -> np.ndarray:
        """The same scores by walking the trees in numpy (all trees step down
        one level per pass)."""
        rows = np.asarray(rows, dtype=np.float32).astype(np.float64)
        nodes = np.repeat(self._roots[None, :], len(rows), axis=0)  # [rows, trees]
        line = np.arange(len(rows))[:, None]
        while True:
            features = self._feature[nodes]
            inner = features >= 0
            if not inner.any():
                break
            values = rows[line, np.where(inner, features, 0)]
            step = np.where(values <= self._threshold[nodes], self._left[nodes], self._right[nodes])
            nodes = np.where(inner, step, nodes)
        return self._value[nodes].sum(axis=1)
