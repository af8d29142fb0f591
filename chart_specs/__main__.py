"""`python -m chart_specs [--write]`: checks that chart_specs/specs.json holds what the Altair
builders make now (exit 1 if not), or writes it; run after changing a builder."""

from __future__ import annotations

import argparse
import json
import sys

from chart_specs.builders import stored_specs
from chart_specs.specs import STORED


def stored_text() -> str:
    """chart_specs/specs.json as the builders make it now."""
    return json.dumps(stored_specs(), ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Check or write the stored specs."""
    parser = argparse.ArgumentParser(prog="python -m chart_specs")
    parser.add_argument("--write", action="store_true", help="write chart_specs/specs.json")
    args = parser.parse_args(argv)
    text = stored_text()
    if args.write:
        STORED.write_text(text, encoding="utf-8")
        print(f"wrote {STORED}")
        return 0
    if STORED.read_text(encoding="utf-8") != text:
        print(f"{STORED} differs from the builders: run `python -m chart_specs --write`")
        return 1
    print(f"{STORED} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
