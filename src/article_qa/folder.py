"""Index folders are replaced whole: staged beside, swapped in, recovered.

A build writes into a hidden sibling folder and swaps it in at the end, so an
interrupted build leaves the previous index as it was. The swap is two
renames (old index aside, new one in); a build killed between them leaves
the old index parked beside the folder, and the next load puts it back.
Sibling names carry the builder's pid, so leftovers of dead builds can be
told from a build still running.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Iterator

from .errors import IndexLocationError

_SWAP_ATTEMPTS = 20


@contextlib.contextmanager
def replaced_folder(index_dir: Path) -> Iterator[Path]:
    """Yield an empty staging folder; on success it replaces ``index_dir``."""
    index_dir = Path(index_dir).absolute()
    check_index_target(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    clear_dead_builds(index_dir)
    # mkdtemp: two builds of one folder (even two threads of one process)
    # never share a staging folder.
    staging = Path(tempfile.mkdtemp(prefix=_sibling_prefix(index_dir, "tmp"), dir=index_dir.parent))
    try:
        yield staging
        _swap_in(staging, index_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def check_index_target(index_dir: Path) -> None:
    """Refuse to build over anything but an index or an empty folder.

    A build replaces the whole folder, so ``--index docs`` by mistake would
    otherwise delete the user's files.
    """
    index_dir = Path(index_dir)
    # One listing, not exists/is_dir/iterdir in turn: another build may swap
    # the folder away between separate checks.
    try:
        names = {entry.name for entry in os.scandir(index_dir)}
    except FileNotFoundError:  # nothing there yet (or a dangling link): a new index
        return
    except NotADirectoryError:
        raise IndexLocationError(f"{index_dir} is a file, not an index folder; choose another --index.") from None
    if not names or "manifest.json" in names:
        return
    raise IndexLocationError(
        f"{index_dir} holds files but no article-qa index (no manifest.json); building there would "
        "replace them. Choose a new or empty --index folder."
    )


def _swap_in(staging: Path, index_dir: Path) -> None:
    """Park the old index, move the new one in, delete the old one.

    Two builds of one folder can interleave their renames; the one that
    finds the folder refilled goes again, so the last build to finish wins.
    """
    for _ in range(_SWAP_ATTEMPTS):
        retired = index_dir.parent / f"{_sibling_prefix(index_dir, 'old')}{uuid.uuid4().hex[:8]}"
        try:
            os.replace(index_dir, retired)
        except FileNotFoundError:  # a first build, or another build moved it first
            pass
        try:
            os.replace(staging, index_dir)
            return
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
        finally:
            shutil.rmtree(retired, ignore_errors=True)
    raise IndexLocationError(f"{index_dir} keeps changing under this build; is another build running there?")


def _sibling_prefix(index_dir: Path, kind: str) -> str:
    return f".{index_dir.name}.{kind}-{os.getpid()}-"


def _dead_siblings(index_dir: Path, kind: str) -> list[Path]:
    """Staging (``tmp``) or parked (``old``) folders left by builds that died."""
    found = []
    for path in index_dir.parent.glob(f".{index_dir.name}.{kind}-*"):
        pid = path.name[len(f".{index_dir.name}.{kind}-"):].split("-")[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            try:
                found.append((path.stat().st_mtime, path))
            except FileNotFoundError:  # another build cleared it just now
                continue
    return [path for _, path in sorted(found, reverse=True)]


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def restore_interrupted_swap(index_dir: Path) -> bool:
    """Put back the index a build parked aside before it died mid-swap."""
    index_dir = Path(index_dir).absolute()
    if (index_dir / "manifest.json").is_file():
        return False
    for parked in _dead_siblings(index_dir, "old"):
        if (parked / "manifest.json").is_file():
            try:
                if index_dir.is_dir() and not any(index_dir.iterdir()):
                    index_dir.rmdir()
                os.replace(parked, index_dir)
                return True
            except OSError:  # read-only or busy: report the index as missing
                return False
    return False


def clear_dead_builds(index_dir: Path) -> None:
    """Remove staging and parked folders of dead builds (they can be large)."""
    restore_interrupted_swap(index_dir)
    for leftover in _dead_siblings(index_dir, "tmp") + _dead_siblings(index_dir, "old"):
        shutil.rmtree(leftover, ignore_errors=True)
