"""Reading the Overview's indicator cards and its ranking table in AppTest: each pillar's cards
are one st.html element (ui/cards.py), the ranking table another (ui/format.html_table), so a
test reads them from that HTML, as it read st.metric and st.dataframe."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Card:
    """One card as a person reads it."""

    label: str = ""
    value: str = ""
    delta: str | None = None  # the change as written, with its sign ("+3.1%", "-5户")
    good: bool | None = None  # the change's colour: green (True), red (False)
    notes: list[str] = field(default_factory=list)  # the target or article figure, the as-of
    help: str | None = None


class _Cards(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cards: list[Card] = []
        self.into: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        got = dict(attrs)
        classes = (got.get("class") or "").split()
        if "hs-card" in classes:
            self.cards.append(Card())
        elif "hs-card-label" in classes:
            self.into, self.cards[-1].help = "label", got.get("title")
        elif "hs-card-value" in classes:
            self.into = "value"
        elif "hs-card-delta" in classes:
            self.cards[-1].good = "hs-good" in classes
        elif "hs-card-change" in classes:
            self.into = "delta"
            self.cards[-1].delta = ""
        elif "hs-card-note" in classes:
            self.into = "note"
            self.cards[-1].notes.append("")

    def handle_endtag(self, tag: str) -> None:
        self.into = None

    def handle_data(self, data: str) -> None:
        card = self.cards[-1] if self.cards else None
        if card is None or self.into is None:
            return
        if self.into == "note":
            card.notes[-1] += data
        else:
            setattr(card, self.into, (getattr(card, self.into) or "") + data)


def shown_html(at) -> list[str]:
    """The bodies of the st.html elements the page shows, without the app's style (ui/style.py,
    drawn by the router on every run)."""
    from ui.style import PAGE_STYLE

    return [h.proto.body for h in at.get("html") if h.proto.body != PAGE_STYLE]


def cards(at) -> dict[str, Card]:
    """Every indicator card the page shows, by its label."""
    parser = _Cards()
    for element in at.get("html"):
        parser.feed(element.proto.body)
    return {card.label: card for card in parser.cards}


def notes(at) -> list[str]:
    """Every card's notes (the target or the article's figure, the month a figure stands at)."""
    return [note for card in cards(at).values() for note in card.notes]


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []  # each: the header row, then the body's rows
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("th", "td") and self.tables:
            self.tables[-1][-1].append("")
            self.cell = self.tables[-1][-1]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td"):
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell[-1] += data


def tables(at) -> list:
    """Every HTML table the page shows (the Overview's ranking, ui/format.html_table) as a frame
    of the texts a person reads, by its header's columns."""
    import pandas as pd

    parser = _Tables()
    for element in at.get("html"):
        parser.feed(element.proto.body)
    return [pd.DataFrame(rows[1:], columns=rows[0]) for rows in parser.tables if rows]
