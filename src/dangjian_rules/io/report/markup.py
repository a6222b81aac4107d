"""The pieces the report is built of: escaped text, numbers, colours, SVG charts, tables."""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

import attrs

from dangjian_rules.model.result import RulesetRef, SubjectResult, format_decimal
from dangjian_rules.ruleset.compiled import Ruleset

_GOOD_TO_BAD = ("#1b5e20", "#43a047", "#9ccc65", "#fdd835", "#fb8c00", "#e53935", "#8e0000")
_STAR_COLORS = ("#cfd8dc", "#fff2b2", "#ffe082", "#ffca28", "#ffa000", "#e65100", "#bf360c")
_NOT_ASSESSED = "#b0bec5"
_BAR = "#c62828"
_ONE = Decimal(1)
_HUNDRED = Decimal(100)


# ------------------------------------------------------------------------ text helpers


class Markup(str):
    """Text that is already HTML (escaped where needed)."""


def _e(text: object) -> str:
    if isinstance(text, Markup):
        return text
    return html.escape("" if text is None else str(text), quote=True)


def _share(count: int, total: int) -> Decimal | None:
    if total == 0:
        return None
    return (Decimal(count) * _HUNDRED / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_EVEN)


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{format(value, 'f')}%"


def _mean(values: Sequence[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / Decimal(len(values))).quantize(
        Decimal("0.01"), ROUND_HALF_EVEN
    )


def _num(value: Decimal | None) -> str:
    return "—" if value is None else format_decimal(value)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _clip(text: str, width: int) -> str:
    """At most ``width`` columns (a Chinese character is two), with … when cut."""
    if _width(text) <= width:
        return text
    out = ""
    for char in text:
        if _width(out + char) > width - 1:
            break
        out += char
    return out + "…"


def _ramp(count: int, palette: Sequence[str] = _GOOD_TO_BAD) -> list[str]:
    """``count`` colours spread over a palette, best first."""
    if count <= 1:
        return [palette[1]]
    last = len(palette) - 1
    return [palette[round(i * last / (count - 1))] for i in range(count)]


def _dark(color: str) -> bool:
    """Whether white text reads better than black on this #rrggbb colour."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * red + 0.587 * green + 0.114 * blue < 140


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)


# ------------------------------------------------------------------------ charts


def _svg_text(x: float, y: float, text: str, cls: str, anchor: str = "start") -> str:
    return f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{_e(text)}</text>'


def hbar_chart(
    title: str,
    rows: Sequence[tuple[str, Decimal, str]],
    maximum: Decimal | None = None,
    colors: Sequence[str] | None = None,
    chart_id: str = "",
) -> Markup:
    """Horizontal bars: (label, value, text shown) per row; one ``rect.bar`` per row."""
    top = max((value for _, value, _ in rows), default=Decimal(0))
    scale_to = maximum if maximum is not None and maximum > 0 else (top if top > 0 else _ONE)
    left, area, row_height = 232.0, 420.0, 28
    height = 12 + row_height * len(rows)
    parts = [
        f'<figure class="chart"><svg class="chart hbar" id="{_e(chart_id)}" role="img" '
        f'aria-label="{_e(title)}" viewBox="0 0 760 {height}" width="760" height="{height}" '
        f'data-bars="{len(rows)}"><title>{_e(title)}</title>'
    ]
    for index, (label, value, text) in enumerate(rows):
        y = 6 + index * row_height
        width = float(area) * float(min(value, scale_to) / scale_to) if value > 0 else 0.0
        color = colors[index % len(colors)] if colors else _BAR
        parts.append(_svg_text(left - 8, y + 14, _clip(label, 30), "label", "end"))
        parts.append(
            f'<rect class="bar" x="{left:.1f}" y="{y}" width="{width:.1f}" height="18" '
            f'fill="{color}"><title>{_e(label)}: {_e(text)}</title></rect>'
        )
        parts.append(_svg_text(left + width + 6, y + 14, text, "value"))
    parts.append(f"</svg><figcaption>{_e(title)}</figcaption></figure>")
    return Markup("".join(parts))


def stacked_chart(
    title: str,
    rows: Sequence[tuple[str, Sequence[int]]],
    keys: Sequence[str],
    colors: Sequence[str],
    chart_id: str = "",
) -> Markup:
    """One bar per row, split into ``keys`` by share; one ``rect.bar`` per (row, key)."""
    left, area, row_height = 232.0, 420.0, 28
    legend: list[str] = []
    x, y = 8.0, 4.0
    for key, color in zip(keys, colors, strict=True):
        advance = 22 + _width(key) * 7.5 + 14
        if x + advance > 752:
            x, y = 8.0, y + 20
        legend.append(
            f'<rect class="legend" x="{x:.1f}" y="{y + 2:.1f}" width="12" height="12" '
            f'fill="{color}"/>'
        )
        legend.append(_svg_text(x + 17, y + 12.5, key, "legend"))
        x += advance
    top = y + 26
    height = int(top + row_height * len(rows) + 6)
    parts = [
        f'<figure class="chart"><svg class="chart stacked" id="{_e(chart_id)}" role="img" '
        f'aria-label="{_e(title)}" viewBox="0 0 760 {height}" width="760" height="{height}" '
        f'data-bars="{len(rows) * len(keys)}"><title>{_e(title)}</title>',
        *legend,
    ]
    for index, (label, counts) in enumerate(rows):
        y = top + index * row_height
        total = sum(counts)
        parts.append(_svg_text(left - 8, y + 14, _clip(label, 30), "label", "end"))
        x = left
        for key, count, color in zip(keys, counts, colors, strict=True):
            width = float(area) * count / total if total else 0.0
            share = _pct(_share(count, total))
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="18" '
                f'fill="{color}"><title>{_e(label)} · {_e(key)}: {count} ({share})</title></rect>'
            )
            if width >= 40:
                shade = "inbar light" if _dark(color) else "inbar"
                parts.append(_svg_text(x + width / 2, y + 13.5, share, shade, "middle"))
            x += width
        parts.append(_svg_text(left + area + 6, y + 14, f"n={total}", "value"))
    parts.append(f"</svg><figcaption>{_e(title)}</figcaption></figure>")
    return Markup("".join(parts))


# ------------------------------------------------------------------------ tables


@attrs.frozen
class Cell:
    text: object
    numeric: bool = False
    cls: str = ""
    title: str = ""


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], cls: str = "", foot: bool = False
) -> Markup:
    out = [f'<table class="{_e(cls)}">' if cls else "<table>"]
    out.append("<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in headers) + "</tr></thead>")
    body = [list(r) for r in rows]
    out.append("<tbody>")
    for index, row in enumerate(body):
        is_foot = foot and index == len(body) - 1
        out.append('<tr class="total">' if is_foot else "<tr>")
        for value in row:
            cell = value if isinstance(value, Cell) else Cell(value)
            classes = " ".join(c for c in ("num" if cell.numeric else "", cell.cls) if c)
            attributes = f' class="{classes}"' if classes else ""
            if cell.title:
                attributes += f' title="{_e(cell.title)}"'
            out.append(f"<td{attributes}>{_e(cell.text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return Markup("".join(out))


_BUCKET_ORDER = (
    "counted",
    "partial",
    "capped",
    "veto",
    "measured",
    "unmatched",
    "pending",
    "returned",
    "outside_period",
)


def _star_key(result: SubjectResult, keys: tuple[str, ...]) -> str | None:
    return None if result.stars is None else keys[min(result.stars.count, len(keys) - 1)]


def _inspected(result: SubjectResult, measure_id: str) -> bool:
    measured = result.measures.get(measure_id)
    return measured is not None and measured.parts.get("inspected") is True


def _text_value(result: SubjectResult, measure_id: str) -> str | None:
    measured = result.measures.get(measure_id)
    if measured is None or not isinstance(measured.value, str):
        return None
    return measured.value


def _shown(value: Decimal | None, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "%":
        return _pct(value)
    return format_decimal(value)


@attrs.define
class _View:
    """One ruleset's results, with what the report needs to know about it."""

    ref: RulesetRef
    ruleset: Ruleset
    results: list[SubjectResult]

    @property
    def scored(self) -> bool:
        return bool(self.ruleset.grades) or any(
            rule.award.effect != "veto" for rule in self.ruleset.rules
        )

    @property
    def has_veto(self) -> bool:
        return any(rule.award.effect == "veto" for rule in self.ruleset.rules)

    @property
    def checklists(self) -> list[tuple[str, str]]:
        return [(m.id, m.label) for m in self.ruleset.measures if m.kind == "checklist"]
