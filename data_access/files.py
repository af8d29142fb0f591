"""Files the tools write for operators (backups, briefings): written beside their target and
moved into place whole, so that a failed or interrupted run leaves no half file under the
target's name and does not lose the last good one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replaced_whole(target: Path, *, private: bool) -> Iterator[Path]:
    """A new empty file beside `target` to write to: made at once (an unwritable folder raises
    OSError before any work), moved over `target` when the block ends without an error, removed
    otherwise. `private`: readable by its owner only (a copy of the store); else as any new file
    (the umask's mode)."""
    handle, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        yield Path(partial)
        if not private:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(partial, 0o666 & ~umask)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
