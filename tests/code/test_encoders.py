"""The untrusted mpnet download is checked before any load; mpnet runs on ONNX only."""

import pytest

from models.encoder import encoder_path, mpnet_path
from models.families import family_class

pytestmark = pytest.mark.code


def test_mpnet_files_with_the_wrong_hash_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("SECTFRAMES_MPNET_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="make mpnet"):
        mpnet_path()
    (tmp_path / "model.safetensors").write_bytes(b"not the weights we checked")
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(ValueError, match="refusing to load it"):
        mpnet_path()


def test_unknown_encoders_and_mpnet_on_torch_are_refused():
    with pytest.raises(ValueError, match="encoder must be one of"):
        encoder_path("e5-small")
    cls = family_class("embedding")
    model = cls(cls.Params(runtime="torch", encoder="mpnet"), seed=0)
    with pytest.raises(ValueError, match="runs on ONNX only"):
        model.features(["The army fled."])


def test_the_wheels_are_pinned_by_hash():
    from train.paths import CONFIGS

    lines = [line for line in (CONFIGS / "mpnet-wheels.txt").read_text().splitlines() if line and line[0] != "#"]
    assert len(lines) == 5 and all("==0.0.1 --hash=sha256:" in line for line in lines)
