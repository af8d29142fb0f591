"""The one way a page changes the store for the signed-in viewer.

`write` runs a data_access write function in one transaction (`db.run_write`: retried while the
store is only busy, nothing written half-way), turns what the store or the data layer refuses
(StoreError, PermissionDenied, AccountError, ImportRefused, ReportError) into one line in the user's
language, and forgets the cached readers once. Fields a write finds wrong come back in its
result (FieldError, shown by the fields) and are said through the same `i18n.say`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from data_access import cached
from data_access.accounts import AccountError
from data_access.auth import PermissionDenied
from data_access.db import STORE_FAILURES, run_write
from data_access.reports import ReportError
from data_access.sheet_reader import ImportRefused
from ui.auth import actor_id
from ui.bootstrap import note_failure
from ui.i18n import say, t
from ui.plain import Plain, plain

# What the data layer refuses with a reason the person can act on (their scope, their input).
REFUSALS = (PermissionDenied, AccountError, ImportRefused, ReportError)


class _SignedIn:
    def __repr__(self) -> str:
        return "SIGNED_IN"


# Stands for the signed-in account's id among a write's arguments: `write` puts the id in, and
# refuses the write (one message) when nobody is signed in.
SIGNED_IN = _SignedIn()


@dataclass(frozen=True)
class Written:
    """What a write gave back (`value`), or why it did not happen (`error`, one line to show);
    a write in parts that failed after some had committed says what they gave (`committed`)."""

    value: Any = None
    error: Plain | None = None
    committed: Any = None

    @property
    def ok(self) -> bool:
        """Whether the write ran (its value may still say "invalid" or "conflict")."""
        return self.error is None


def write(
    url: str,
    fn: Callable[..., Any],
    *args: Any,
    everything: bool = False,
    raising: tuple[type[Exception], ...] = (),
    progress: Callable[[Any], None] | None = None,
    **kwargs: Any,
) -> Written:
    """Run `fn(session, *args, **kwargs)` in one write transaction as the signed-in account
    (given as SIGNED_IN where `fn` takes it). Unless the value says nothing was changed (a
    result whose `ok` is false), the cached readers are forgotten once; with `everything`,
    every cached result of this process too (targets and weights feed every score). The
    refusals in `raising` reach the caller as they are (a form that shows them by its fields);
    nothing was written for them either. A write in parts calls `progress` with the results so
    far between its parts."""
    try:
        if any(v is SIGNED_IN for v in (*args, *kwargs.values())):
            actor = actor_id()
            args = tuple(actor if a is SIGNED_IN else a for a in args)
            kwargs = {k: actor if v is SIGNED_IN else v for k, v in kwargs.items()}
        value = run_write(cached.get_engine(url), fn, *args, after_part=progress, **kwargs)
    except raising:
        raise
    except (*REFUSALS, *STORE_FAILURES) as exc:
        committed = getattr(exc, "committed", None)
        if committed is not None:
            forget_reads(url, everything)  # the parts before the failure are written
        if isinstance(exc, REFUSALS):
            return Written(error=plain(say(exc.message)), committed=committed)
        error = note_failure(exc)
        message = t("activity.store_error", message=say(error.message))
        return Written(error=message, committed=committed)
    if getattr(value, "ok", True):
        forget_reads(url, everything)
    return Written(value)


def forget_reads(url: str, everything: bool = False) -> None:
    """After a write of this process: forget the cached reads, once (the store's next version
    check knows this process has forgotten them already)."""
    cached.clear_after_write(url)
    if everything:
        st.cache_data.clear()
