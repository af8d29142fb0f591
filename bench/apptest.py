"""What the CPU benches that drive the app through AppTest share (bench/overview_cpu.py and
bench/router_cpu.py import it as `apptest`, from beside them, before they switch to the tree they
measure)."""

from __future__ import annotations

import os


def share_compiled_scripts() -> None:
    """Compile each page script once for the process. AppTest makes a new ScriptCache for every
    run, so every run compiles the scripts again; a server keeps one cache for its life, and a
    bench of a warm run must not count the compile."""
    from streamlit.runtime.scriptrunner import script_cache

    compiled: dict[str, object] = {}
    get_bytecode = script_cache.ScriptCache.get_bytecode

    def shared_bytecode(self, path):
        path = os.path.abspath(path)
        if path not in compiled:
            compiled[path] = get_bytecode(self, path)
        return compiled[path]

    script_cache.ScriptCache.get_bytecode = shared_bytecode
