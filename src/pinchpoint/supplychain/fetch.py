"""Fetching public datasets for users who have the internet (tests use local copies)."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from pinchpoint.errors import DataError, PinchpointError
from pinchpoint.supplychain.eto import ETO_FILES, is_eto_folder

#: The ETO dataset's public repository (CC BY-NC 4.0).
ETO_BASE_URL = "https://raw.githubusercontent.com/georgetown-cset/eto-chip-explorer/main/data/"


def fetch_eto(dest: Path, *, from_dir: Path | None = None, base_url: str = ETO_BASE_URL,
              progress: Callable[[str], None] | None = None, timeout: float = 30.0) -> Path:
    """Put the ETO CSV files in ``dest`` (downloaded, or copied from ``from_dir``) and return it.

    Files land in a temporary folder first, so a failed download leaves ``dest`` unchanged.
    """
    say = progress or (lambda _m: None)
    dest = dest.expanduser()
    staging = dest.with_name(dest.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        for n, name in enumerate(ETO_FILES, start=1):
            say(f"[{n}/{len(ETO_FILES)}] {name}")
            if from_dir is not None:
                src = from_dir / name
                if not src.exists():
                    raise DataError(f"missing {name}", file=str(from_dir))
                shutil.copyfile(src, staging / name)
                continue
            try:
                with urllib.request.urlopen(base_url + name, timeout=timeout) as resp:
                    (staging / name).write_bytes(resp.read())
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                raise PinchpointError(
                    f"cannot download {base_url + name}: {getattr(exc, 'reason', exc)}. Without internet, "
                    "download the folder elsewhere and import it, or fetch from a local copy of it") from None
        if not is_eto_folder(staging):
            raise DataError("downloaded files are not an ETO dataset", file=str(staging))
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return dest
