"""Fetch the CJK font the service certificates embed (run with any Python 3.11+).

    python scripts/fetch_font.py

Noto Sans SC Regular (SIL Open Font License 1.1) comes from the npm package
@expo-google-fonts/noto-sans-sc, fetched with the ordinary npm client, and is
checked against a pinned SHA-256 before it is written to
vendor/fonts/NotoSansSC-Regular.ttf. Nothing happens when the file is already
there with the expected checksum. Standard library only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "vendor" / "fonts" / "NotoSansSC-Regular.ttf"
PACKAGE = "@expo-google-fonts/noto-sans-sc@0.4.3"
MEMBER = "package/400Regular/NotoSansSC_400Regular.ttf"
SHA256 = "d45f67f0a7c0ca3f256950777ce6a61cc7ce5f9696d02900cbbaac25f8aa7d16"
NPM_TIMEOUT_S = 900


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fail(message: str) -> NoReturn:
    print(f"fetch_font: {message}", file=sys.stderr)
    sys.exit(1)


def _pack(npm: str, folder: Path) -> Path:
    """`npm pack` the font package into folder; the tarball's path."""
    try:
        done = subprocess.run(
            [npm, "pack", PACKAGE, "--silent"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        _fail(f"npm pack {PACKAGE} did not finish within {NPM_TIMEOUT_S} s")
    if done.returncode != 0:
        _fail(f"npm pack {PACKAGE} failed (exit {done.returncode}):\n{done.stderr.strip()}")
    tarballs = sorted(folder.glob("*.tgz"))
    if len(tarballs) != 1:
        _fail(f"npm pack {PACKAGE} left {len(tarballs)} tarballs, expected one")
    return tarballs[0]


def _extract(tarball: Path, partial: Path) -> str:
    """Copy the one font member to partial; its SHA-256."""
    digest = hashlib.sha256()
    with tarfile.open(tarball, "r:gz") as archive:
        try:
            member = archive.getmember(MEMBER)
        except KeyError:
            _fail(f"{MEMBER} is not in {tarball.name}")
        source = archive.extractfile(member) if member.isfile() else None
        if source is None:
            _fail(f"{MEMBER} in {tarball.name} is not a regular file")
        with source, partial.open("wb") as sink:
            for block in iter(lambda: source.read(1 << 20), b""):
                digest.update(block)
                sink.write(block)
            sink.flush()
            os.fsync(sink.fileno())
    return digest.hexdigest()


def main() -> None:
    if TARGET.is_file() and _sha256(TARGET) == SHA256:
        return
    npm = shutil.which("npm")
    if npm is None:
        _fail(
            "npm was not found. Install Node.js and npm (https://nodejs.org/), then run "
            "python scripts/fetch_font.py again; service certificates need this font."
        )
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    partial = TARGET.with_name(TARGET.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(prefix="fetch-font-") as folder:
            got = _extract(_pack(npm, Path(folder)), partial)
        if got != SHA256:
            _fail(f"{MEMBER} from {PACKAGE} has SHA-256 {got}, expected {SHA256}; not installed")
        os.replace(partial, TARGET)
    finally:
        partial.unlink(missing_ok=True)
    print(f"{TARGET.relative_to(ROOT)}: Noto Sans SC Regular (SIL OFL 1.1) from npm {PACKAGE}")


if __name__ == "__main__":
    main()
