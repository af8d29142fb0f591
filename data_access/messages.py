"""What data_access says to a person, in the app's two languages: one message type for every
error a user reads (a field's problem, a refusal, a store failure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """One message in Chinese (`zh`, the default) and English (`en`)."""

    zh: str
    en: str

    def in_(self, lang: str) -> str:
        """The message in one language ('zh' or 'en')."""
        return self.zh if lang == "zh" else self.en

    def __str__(self) -> str:
        # For logs and the command line: both languages (once, when they are the same text).
        return self.zh if self.zh == self.en else f"{self.zh} / {self.en}"


class MessageError(Exception):
    """An error whose reason a person reads: `message`, in both languages. Given one text
    only (the command line's "中文 / English"), that text serves both."""

    def __init__(self, zh: str, en: str | None = None) -> None:
        self.message = Message(zh, zh if en is None else en)
        super().__init__(str(self.message))
