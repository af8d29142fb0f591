"""Strings of the store guard (ui/bootstrap.py), in Chinese and English."""

STRINGS: dict[str, tuple[str, str]] = {
    "store.retry": ("重试", "Try again"),
}
