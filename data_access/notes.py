"""Notes (备注) on a region's timeline: "3月起开展“解民忧”专项行动", "数据口径调整".

A note is dated, belongs to one region (city, district, street or community) and optionally names
a pillar or an indicator. Who may do what (checked here, whatever page or command calls):
- read: anyone active whose scope holds the note's region (admins: all), through the same
  scope clause as activities (`auth.viewer_clause`), so that an unknown id and an id out of scope
  get the same answer;
- add: leaders, staff and admins, for a region inside their scope;
- edit: the author only, while the region is still in their scope;
- delete (soft): the author, or an admin (who may remove what should not be shown).
Every write leaves an audit row (data_access/audit.py). The text is stored as typed (only the
characters no text may hold are refused, data_access/text.py) and shown as text everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from data_access.audit import add_audit_row
from data_access.auth import PermissionDenied, region_in_scope, utcnow, viewer_clause
from data_access.messages import Message
from data_access.models import Account, Note, Region
from data_access.periods import Period
from data_access.regions import get_region, list_ancestors, scope_clause
from data_access.registry import DATA_LEVELS, INDICATORS_BY_KEY, PILLARS_BY_KEY
from data_access.text import check_text
from data_access.validation import FieldError, field_error

TEXT_MAX = 10_000  # characters: a long paragraph fits; a pasted document does not
_NOT_FOUND = ("没有这条备注，或不在您的管辖范围内", "No such note, or it is outside your scope")
_WRITERS = ("leader", "staff", "admin")


@dataclass(frozen=True)
class NoteInfo:
    """One note as readers get it."""

    id: int
    region_code: str
    region_name_zh: str
    region_name_en: str
    level: str
    on_day: date
    pillar: str | None
    indicator: str | None
    text: str
    author_id: int
    author_name: str
    created_at: datetime  # UTC
    updated_at: datetime | None  # UTC
    version: int

    def region_name(self, lang: str) -> str:
        """The note's region's name in the language."""
        return self.region_name_zh if lang == "zh" else self.region_name_en


@dataclass(frozen=True)
class NoteResult:
    """What a note write did: the note's id, or the fields' problems (nothing written)."""

    note_id: int | None = None
    errors: tuple[FieldError, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """Whether the note is in the store as asked."""
        return not self.errors


def _account(session: Session, viewer: int | None) -> Account | None:
    """The active writer, or PermissionDenied (None: a trusted operator)."""
    if viewer is None:
        return None
    account = session.get(Account, viewer)
    if account is None or not account.is_active or account.role not in _WRITERS:
        raise PermissionDenied(
            "账户不存在或已停用，不能写备注", "This account is missing or disabled"
        )
    return account


def _check_region(session: Session, account: Account | None, region_id: int) -> None:
    if account is None or account.role == "admin":
        return
    if not region_in_scope(session, account.scope_region_id, region_id):
        raise PermissionDenied(
            "该地区不在您的管辖范围内，不能添加或修改备注",
            "This region is outside your scope; notes cannot be added or changed there",
        )


def _check_fields(
    text: object, on_day: object, pillar: str | None, indicator: str | None
) -> tuple[str, list[FieldError]]:
    errors: list[FieldError] = []
    value = text if isinstance(text, str) else ""
    if not value.strip():
        errors.append(field_error("text", "请填写备注内容", "Write the note's text"))
    elif len(value) > TEXT_MAX:
        errors.append(
            field_error(
                "text",
                f"备注最多 {TEXT_MAX} 个字符（现有 {len(value)} 个）",
                f"A note holds at most {TEXT_MAX:,} characters (this one has {len(value):,})",
            )
        )
    else:
        problem = check_text(value, multiline=True)
        if problem:
            errors.append(field_error("text", *problem))
    if not isinstance(on_day, date) or isinstance(on_day, datetime):
        errors.append(field_error("on_day", "请选择日期", "Choose a date"))
    if pillar is not None and pillar not in PILLARS_BY_KEY:
        errors.append(field_error("pillar", "没有这个方面", "No such pillar"))
    if indicator is not None:
        ind = INDICATORS_BY_KEY.get(indicator)
        if ind is None:
            errors.append(field_error("indicator", "没有这个指标", "No such indicator"))
        elif pillar is not None and ind.pillar != pillar:
            errors.append(
                field_error(
                    "indicator", "该指标不属于所选方面", "The indicator is not of that pillar"
                )
            )
    return value, errors


def _snapshot(note: Note) -> dict:
    return {
        "region_id": note.region_id,
        "on_day": note.on_day.isoformat(),
        "pillar": note.pillar,
        "indicator": note.indicator,
        "text": note.text,
        "version": note.version,
        "deleted": note.deleted_at is not None,
    }


def add_note(
    session: Session,
    viewer: int | None,
    region_code: str,
    on_day: date,
    text: str,
    pillar: str | None = None,
    indicator: str | None = None,
    now: datetime | None = None,
) -> NoteResult:
    """Add a note to a region's timeline (PermissionDenied outside the viewer's scope), with
    an audit row; field problems come back in the result and nothing is written."""
    account = _account(session, viewer)
    region = get_region(session, region_code) if isinstance(region_code, str) else None
    if region is None or region.level not in DATA_LEVELS:
        raise PermissionDenied("没有这个地区", "No such region")
    _check_region(session, account, region.id)
    if indicator is not None and pillar is None and indicator in INDICATORS_BY_KEY:
        pillar = INDICATORS_BY_KEY[indicator].pillar
    value, errors = _check_fields(text, on_day, pillar, indicator)
    if errors:
        return NoteResult(errors=tuple(errors))
    row = session.get(Region, region.id)
    at = (now or utcnow()).replace(tzinfo=None)
    note = Note(
        region_id=region.id,
        district_id=row.district_id,
        street_id=row.street_id,
        community_id=row.community_id,
        on_day=on_day,
        pillar=pillar,
        indicator=indicator,
        text=value,
        created_by=viewer if viewer is not None else _operator(session),
        created_at=at,
        version=1,
    )
    session.add(note)
    session.flush()
    add_audit_row(session, viewer, "add", "note", note.id, None, _snapshot(note), now)
    return NoteResult(note.id)


def _operator(session: Session) -> int:
    # The command line writes as the first admin (a note always has an author).
    admin = session.scalar(select(Account.id).where(Account.role == "admin").order_by(Account.id))
    if admin is None:
        raise PermissionDenied("没有管理员账户", "No administrator account")
    return admin


def _get_for_write(session: Session, viewer: int | None, note_id: int) -> tuple[Note, Account]:
    account = _account(session, viewer)
    note = session.get(Note, note_id) if isinstance(note_id, int) else None
    visible = (
        note is not None
        and note.deleted_at is None
        and session.scalar(
            select(Note.id).where(Note.id == note_id, viewer_clause(session, viewer, Note))
        )
        is not None
    )
    if not visible:
        raise PermissionDenied(*_NOT_FOUND)
    _check_region(session, account, note.region_id)
    return note, account


def edit_note(
    session: Session,
    viewer: int | None,
    note_id: int,
    text: str,
    now: datetime | None = None,
    on_day: date | None = None,
) -> NoteResult:
    """Change a note's text (and date): its author only, inside their scope; an audit row."""
    note, account = _get_for_write(session, viewer, note_id)
    if account is not None and note.created_by != account.id:
        raise PermissionDenied("只有备注的作者可以修改它", "Only the note's author can change it")
    value, errors = _check_fields(text, on_day or note.on_day, note.pillar, note.indicator)
    if errors:
        return NoteResult(note.id, tuple(errors))
    before = _snapshot(note)
    note.text = value
    note.on_day = on_day or note.on_day
    note.updated_at = (now or utcnow()).replace(tzinfo=None)
    note.version += 1
    session.flush()
    add_audit_row(session, viewer, "edit", "note", note.id, before, _snapshot(note), now)
    return NoteResult(note.id)


def delete_note(
    session: Session, viewer: int | None, note_id: int, now: datetime | None = None
) -> NoteResult:
    """Soft-delete a note: its author, or an admin; an audit row."""
    note, account = _get_for_write(session, viewer, note_id)
    if account is not None and account.role != "admin" and note.created_by != account.id:
        raise PermissionDenied("只有备注的作者可以删除它", "Only the note's author can delete it")
    before = _snapshot(note)
    note.deleted_at = (now or utcnow()).replace(tzinfo=None)
    note.deleted_by = viewer
    note.version += 1
    session.flush()
    add_audit_row(session, viewer, "delete", "note", note.id, before, _snapshot(note), now)
    return NoteResult(note.id)


def _select_notes():
    return (
        select(
            Note.id,
            Region.code,
            Region.name_zh,
            Region.name_en,
            Region.level,
            Note.on_day,
            Note.pillar,
            Note.indicator,
            Note.text,
            Note.created_by,
            Account.display_name,
            Note.created_at,
            Note.updated_at,
            Note.version,
        )
        .join(Region, Region.id == Note.region_id)
        .join(Account, Account.id == Note.created_by)
        .where(Note.deleted_at.is_(None))
    )


def get_note(session: Session, viewer: int | None, note_id: int) -> NoteInfo:
    """One live note the viewer may see (PermissionDenied alike for unknown and out of scope)."""
    row = session.execute(
        _select_notes().where(Note.id == note_id, viewer_clause(session, viewer, Note))
    ).first()
    if row is None:
        raise PermissionDenied(*_NOT_FOUND)
    return NoteInfo(*row)


def list_notes(
    session: Session,
    viewer: int | None,
    region_code: str,
    months: Period | tuple[int, int],
    *,
    with_children: bool = True,
    with_ancestors: bool = False,
    pillar: str | None = None,
) -> list[NoteInfo]:
    """The live notes of a period, or of the months from first to last (yyyymm; a chart's
    twelve months may cross a year), by day, then id, on the region, and on every region inside
    it (`with_children`) or above it (`with_ancestors`), that the viewer may see; with `pillar`,
    the notes of that pillar and those about no pillar. PermissionDenied when the region is not
    in the viewer's scope."""
    region = get_region(session, region_code) if isinstance(region_code, str) else None
    if region is None or region.level not in DATA_LEVELS:
        raise PermissionDenied("没有这个地区", "No such region")
    if viewer is not None:
        account = session.get(Account, viewer)
        if account is None or not account.is_active:
            raise PermissionDenied(*_NOT_FOUND)
        if account.role != "admin" and not region_in_scope(
            session, account.scope_region_id, region.id
        ):
            raise PermissionDenied("该地区不在您的管辖范围内", "This region is outside your scope")
    first_month, last_month = (months.start, months.end) if isinstance(months, Period) else months
    first = date(first_month // 100, first_month % 100, 1)
    after = date(last_month // 100 + (last_month % 100 == 12), last_month % 100 % 12 + 1, 1)
    where = [Note.region_id == region.id]
    if with_children:
        inside = scope_clause(Note, region)
        where.append(Note.id.is_not(None) if inside is None else inside)
    if with_ancestors:
        where.append(Note.region_id.in_([a.id for a in list_ancestors(session, region)]))
    stmt = _select_notes().where(
        or_(*where),
        Note.on_day >= first,
        Note.on_day < after,
        viewer_clause(session, viewer, Note),
    )
    if pillar is not None:
        stmt = stmt.where(or_(Note.pillar.is_(None), Note.pillar == pillar))
    return [NoteInfo(*row) for row in session.execute(stmt.order_by(Note.on_day, Note.id))]


def note_label(note: NoteInfo) -> Message:
    """What a note is about, in both languages: its region, and its pillar or indicator."""
    zh, en = note.region_name_zh, note.region_name_en
    if note.indicator in INDICATORS_BY_KEY:
        ind = INDICATORS_BY_KEY[note.indicator]
        return Message(f"{zh} · {ind.name_zh}", f"{en} · {ind.name_en}")
    if note.pillar in PILLARS_BY_KEY:
        p = PILLARS_BY_KEY[note.pillar]
        return Message(f"{zh} · {p.name_zh}", f"{en} · {p.name_en}")
    return Message(zh, en)
