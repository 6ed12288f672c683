"""MiniLM on ONNX Runtime: export a `SentenceEncoder` to ONNX, quantise it to int8, encode without torch.

`export_onnx` traces the transformer with mean pooling and L2 normalisation inside the graph (TorchScript
exporter, `dynamo=False`, dynamic batch and sequence axes), so the .onnx file maps token ids straight to
unit sentence vectors. `quantize_int8` applies dynamic int8 quantisation with per-channel weight scales.
`OnnxSentenceEncoder` has the same `encode(texts) -> (n, dim) float32 unit vectors` contract as
`SentenceEncoder`, but needs only `onnxruntime`, `tokenizers` and numpy at inference (no torch, no
transformers: faster cold start), tokenises once, sorts by token count, pads each batch to its own
longest sentence (no padding waste) and caps it at `max_batch_tokens` padded tokens (bounded memory),
and runs one intra-op thread per available core, or as many as $SECTFRAMES_THREADS allows (see
`models.encoder.inference_threads`).

A packaged model carries the .onnx file and `tokenizer.json` as plain weight files (protobuf and JSON,
no pickle).
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import shutil
import warnings
from pathlib import Path

import numpy as np

from models.encoder import inference_threads

log = logging.getLogger(__name__)
RUNTIMES = ("torch", "onnx-int8", "onnx-fp32")
ONNX_FILE = {"onnx-int8": "encoder.int8.onnx", "onnx-fp32": "encoder.onnx"}
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "onnx_encoder.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def check_runtime(runtime: str) -> str:
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {RUNTIMES}, got {runtime!r}")
    return runtime


def export_onnx(encoder, path: Path, opset: int = 17) -> Path:
    """Trace `encoder` (a `SentenceEncoder`) to `path`: token ids -> pooled, L2-normalised embeddings."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, model, projection):
            super().__init__()
            self.model, self.projection = model, projection
            self.types = "token_type_ids" in inspect.signature(model.forward).parameters

        def forward(self, input_ids, attention_mask, token_type_ids):
            extra = {"token_type_ids": token_type_ids} if self.types else {}  # MPNet has no token types
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            vector = torch.nn.functional.normalize(mean, dim=-1)
            if self.projection is not None:  # a distilled student maps its unit vector into its teacher's space
                vector = torch.nn.functional.normalize(self.projection(vector), dim=-1)
            return vector

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = encoder.model
    was_training = model.training
    previous_attention = getattr(model.config, "_attn_implementation", None)
    model.eval()
    if hasattr(model, "set_attn_implementation"):  # SDPA does not trace cleanly with the legacy exporter
        model.set_attn_implementation("eager")
    batch = encoder.tokenizer(["A first example sentence for tracing.", "Another one."], padding=True,
                              truncation=True, max_length=encoder.max_length, return_tensors="pt")
    if "token_type_ids" not in batch:
        batch["token_type_ids"] = torch.zeros_like(batch["input_ids"])
    args = tuple(batch[name] for name in INPUTS)
    dynamic = {name: {0: "batch", 1: "sequence"} for name in INPUTS}
    dynamic["embedding"] = {0: "batch"}
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            # the tracer's notes on Python booleans and index ops in transformers' masking code are expected
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            warnings.filterwarnings("ignore", message=".*aten::index.*")
            torch.onnx.export(Pooled(model, getattr(encoder, "projection", None)), args, str(path), input_names=list(INPUTS), output_names=["embedding"],
                              dynamic_axes=dynamic, opset_version=opset, do_constant_folding=True, dynamo=False)
    finally:
        if previous_attention and hasattr(model, "set_attn_implementation"):
            model.set_attn_implementation(previous_attention)
        model.train(was_training)
    return path


def quantize_int8(source: Path, target: Path) -> Path:
    """Dynamic int8 quantisation (weights int8 per output channel, activations quantised on the fly)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))  # the quantizer logs a line per tensor, and advice, on the root logger
    try:
        quantize_dynamic(str(source), str(target), per_channel=True, weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)
    return target


def build(encoder, directory: Path, runtime: str = "onnx-int8") -> Path:
    """Write an ONNX encoder directory for `encoder` (a `SentenceEncoder`): the .onnx file of `runtime`,
    `tokenizer.json` and a small JSON description. Returns the directory."""
    import tempfile

    check_runtime(runtime)
    if runtime == "torch":
        raise ValueError("build() makes ONNX encoders; runtime 'torch' needs none")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if runtime == "onnx-fp32":
        export_onnx(encoder, directory / ONNX_FILE[runtime])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            fp32 = export_onnx(encoder, Path(tmp) / "encoder.onnx")
            quantize_int8(fp32, directory / ONNX_FILE[runtime])
    encoder.tokenizer.backend_tokenizer.save(str(directory / TOKENIZER_FILE))
    (directory / META_FILE).write_text(json.dumps({
        "runtime": runtime, "onnx": ONNX_FILE[runtime], "tokenizer": TOKENIZER_FILE,
        "max_length": encoder.max_length, "dim": encoder.dim,
        "pad_id": int(encoder.tokenizer.pad_token_id or 0),
    }, indent=1), encoding="utf-8")
    return directory


def copy_encoder_files(source: Path, target: Path) -> None:
    """Copy an ONNX encoder directory's files (for saving a fitted model)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in os.listdir(source):
        if name == META_FILE or name == TOKENIZER_FILE or name.endswith(".onnx"):
            shutil.copyfile(Path(source) / name, target / name)


class OnnxSentenceEncoder:
    """An ONNX encoder directory (see `build`) behind the `SentenceEncoder.encode` contract."""

    def __init__(self, directory: Path | str, max_length: int | None = None, batch_size: int = 64,
                 threads: int | None = None, max_batch_tokens: int = 4096):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.directory = Path(directory)
        meta = json.loads((self.directory / META_FILE).read_text(encoding="utf-8"))
        self.runtime, self.dim, self.pad_id = meta["runtime"], int(meta["dim"]), int(meta["pad_id"])
        self.max_length = int(max_length or meta["max_length"])
        self.batch_size, self.max_batch_tokens = batch_size, max_batch_tokens
        self.tokenizer = Tokenizer.from_file(str(self.directory / meta["tokenizer"]))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_length)
        options = ort.SessionOptions()
        # a model's own thread setting never exceeds this process's budget (a scoring worker's share)
        options.intra_op_num_threads = min(threads, inference_threads()) if threads else inference_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Do not let idle worker threads spin: in `sectframes score` the main thread segments the next
        # batch between model calls, and spinning workers would take its core.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Batches come in many shapes (rows x longest sentence). ONNX Runtime's memory patterns plan one
        # block per shape, and blocks of ever new sizes fragment its arena, which grew for tens of batches
        # (measured, one thread: 217 -> 245 MB over 20 calls; without patterns flat at ~207 MB after the
        # second call, at the same speed).
        options.enable_mem_pattern = False
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(self.directory / meta["onnx"]), options,
                                            providers=["CPUExecutionProvider"])
        self._inputs = [i.name for i in self.session.get_inputs()]

    @property
    def rows_per_call(self) -> int:
        """Sentences per session call. Dynamic int8 quantization computes each activation's scale from the
        whole input tensor, so in a batch a sentence's embedding depends on its neighbours and padding (up
        to 0.03 in an embedding, measured): int8 encodes one sentence per call, which makes every scale a
        per-sentence scale and the output the same alone or in any batch; it is still faster than fp32 in
        batches on 2 cores (167 vs 116 sentences/s, measured). fp32 batches (differences ~1e-7)."""
        return 1 if self.runtime == "onnx-int8" else self.batch_size

    def encode(self, texts: list[str], progress=None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        order = np.argsort(lengths, kind="stable")
        for rows in token_batches(order, lengths, self.rows_per_call, self.max_batch_tokens):
            width = int(lengths[rows[-1]])
            ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            types = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for k, row in enumerate(rows):
                enc, n = encodings[row], int(lengths[row])
                ids[k, :n], types[k, :n], mask[k, :n] = enc.ids, enc.type_ids, 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            out[rows] = self.session.run(None, {name: feeds[name] for name in self._inputs})[0]
            if progress is not None:
                progress(len(rows))
        return out


def token_batches(order: np.ndarray, lengths: np.ndarray, max_rows: int, max_tokens: int):
    """Consecutive slices of `order` (rows sorted by length) of at most `max_rows` rows and at most
    `max_tokens` padded tokens (rows x the longest row's length); a row longer than `max_tokens` goes alone.
    Why: the encoder's working memory grows with the tokens in a batch (its attention maps with their
    square), so the widest sentences go in smaller batches, and a large corpus with a few long sentences
    needs no more memory than a small one."""
    begin, n = 0, len(order)
    while begin < n:
        end = min(begin + max_rows, n)
        while end - begin > 1 and (end - begin) * int(lengths[order[end - 1]]) > max_tokens:
            end -= 1
        yield order[begin:end]
        begin = end


__all__ = ["OnnxSentenceEncoder", "RUNTIMES", "build", "check_runtime", "copy_encoder_files",
           "export_onnx", "quantize_int8", "token_batches"]
