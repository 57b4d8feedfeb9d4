"""The preview page: one self-contained HTML file (inline CSS and SVG, no
script, nothing fetched from the network) beside its thumbnails.

Every text that comes from the dataset (class names, stems, split names,
report reasons) is HTML-escaped.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from .common import split_order
from .model import ClassInfo, Dataset

__all__ = ["Tile", "page"]

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.muted{color:#666}.summary{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px 16px}.card h2{margin-top:0}
table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
td.n,th.n{text-align:right}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:8px 0 16px;padding:0;list-style:none}
.legend li{display:flex;align-items:center;gap:6px}
.swatch{display:inline-block;width:14px;height:14px;border:1px solid #0004;border-radius:2px}
.grid{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px;max-width:360px}
figure img{display:block;width:auto;height:auto;max-width:100%;max-height:360px}
figcaption{font-size:12px;margin-top:6px;overflow-wrap:anywhere;max-width:360px}
h3{font-size:14px;margin:10px 0 4px}
"""


@dataclass(frozen=True)
class Tile:
    """One thumbnail of the grid."""

    src: str  # relative to index.html
    width: int
    height: int
    stem: str
    split: str
    item_width: int
    item_height: int
    annotations: int
    image: Optional[str]  # the image file's name, None when drawn on a canvas


def page(
    dataset: Dataset, tiles: Sequence[Tile], title: str, notes: Counter[str], selection: str
) -> str:
    """The whole index.html."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="muted">{_e(dataset.format)} dataset in {_e(dataset.root)} · '
        f"{len(dataset.entries)} images · {_e(selection)}</p>",
        '<div class="summary">',
        _split_card(dataset),
        _class_card(dataset),
        _report_card(dataset.report, notes),
        "</div>",
        "<h2>Classes</h2>",
        _legend(dataset.classes),
        f"<h2>Sample ({len(tiles)} of {len(dataset.entries)})</h2>",
        '<div class="grid">',
        *(_figure(tile, _item_unit(dataset.count_unit)) for tile in tiles),
        "</div>",
        "</body></html>",
        "",
    ]
    return "\n".join(parts)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _split_card(dataset: Dataset) -> str:
    items: Counter[str] = Counter()
    annotations: Counter[str] = Counter()
    for entry in dataset.entries:
        items[entry.split] += 1
        annotations[entry.split] += sum(entry.counts.values())
    splits = split_order(list(items))
    rows = [(s, items[s], annotations[s]) for s in splits]
    chart = _bars(
        [(f"{s}: images", items[s], "#5b7db1") for s in splits]
        + [(f"{s}: {_item_unit(dataset.count_unit)}", annotations[s], "#9aa9c2") for s in splits],
        label_w=150,
    )
    table = "".join(
        f'<tr><td>{_e(s)}</td><td class="n">{i}</td><td class="n">{a}</td></tr>' for s, i, a in rows
    )
    return (
        f'<div class="card"><h2>Per split</h2><table><tr><th>split</th><th class="n">'
        f'images</th><th class="n">{_e(dataset.count_unit)}</th></tr>{table}</table>'
        f"{chart}</div>"
    )


def _class_card(dataset: Dataset) -> str:
    counts: Counter[str] = Counter()
    images: Counter[str] = Counter()
    for entry in dataset.entries:
        counts.update(entry.counts)
        images.update(name for name, count in entry.counts.items() if count)
    named = {c.name for c in dataset.classes}
    classes = list(dataset.classes) + [
        ClassInfo(0, n, (255, 255, 255)) for n in sorted(counts) if n not in named
    ]
    chart = _bars([(c.name, counts[c.name], _hex(c.color)) for c in classes])
    table = "".join(
        f'<tr><td><span class="swatch" style="background:{_hex(c.color)}"></span> '
        f'{_e(c.name)}</td><td class="n">{counts[c.name]}</td>'
        f'<td class="n">{images[c.name]}</td></tr>'
        for c in classes
    )
    return (
        f'<div class="card"><h2>Per class</h2>{chart}<table><tr><th>class</th>'
        f'<th class="n">{_e(dataset.count_unit)}</th><th class="n">images</th></tr>'
        f"{table}</table></div>"
    )


def _bars(bars: Sequence[tuple[str, int, str]], label_w: int = 120) -> str:
    """A horizontal bar chart as inline SVG: (label, value, colour) per bar."""
    if not bars:
        return '<p class="muted">nothing to count</p>'
    row, bar_w = 20, 160
    top = max(value for _, value, _ in bars) or 1
    height = row * len(bars) + 4
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 60}" '
        f'height="{height}" role="img" aria-label="bar chart">'
    ]
    for i, (label, value, color) in enumerate(bars):
        y = 2 + i * row
        length = round(bar_w * value / top)
        limit = label_w // 7
        short = label if len(label) <= limit else label[: limit - 1] + "…"
        out.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">'
            f"<title>{_e(label)}</title>{_e(short)}</text>"
        )
        out.append(
            f'<rect x="{label_w}" y="{y + 2}" width="{length}" height="{row - 5}" '
            f'fill="{color}" stroke="#0004"/>'
        )
        out.append(f'<text x="{label_w + length + 4}" y="{y + 14}" font-size="12">{value}</text>')
    out.append("</svg>")
    return "".join(out)


def _report_card(report: Optional[dict[str, Any]], notes: Counter[str]) -> str:
    if report is None and not notes:
        return (
            '<div class="card"><h2>Conversion report</h2><p class="muted">no '
            "lbconvert-report.json in the dataset</p></div>"
        )
    lines = ['<div class="card"><h2>Conversion report</h2>']
    if report is not None:
        scalars = [
            (k, v)
            for k, v in report.items()
            if isinstance(v, (int, float, str)) and not isinstance(v, bool)
        ]
        lines.append(
            "<table>"
            + "".join(f'<tr><td>{_e(k)}</td><td class="n">{_e(v)}</td></tr>' for k, v in scalars)
            + "</table>"
        )
        for key in ("dropped", "items_skipped", "warnings"):
            counts = report.get(key)
            if isinstance(counts, dict) and counts:
                lines.append(_reasons(key.replace("_", " "), counts))
    if notes:
        lines.append(_reasons("preview notes", notes))
    lines.append("</div>")
    return "".join(lines)


def _reasons(title: str, counts: Any) -> str:
    rows = sorted(counts.items(), key=lambda kv: (-_number(kv[1]), str(kv[0])))
    body = "".join(f'<tr><td class="n">{_e(v)}</td><td>{_e(k)}</td></tr>' for k, v in rows)
    return f"<h3>{_e(title)}</h3><table>{body}</table>"


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


def _legend(classes: Sequence[ClassInfo]) -> str:
    if not classes:
        return '<p class="muted">no classes</p>'
    items = "".join(
        f'<li><span class="swatch" style="background:{_hex(c.color)}"></span>{_e(c.name)}</li>'
        for c in classes
    )
    return f'<ul class="legend">{items}</ul>'


def _item_unit(unit: str) -> str:
    """What a thumbnail's count counts: a class counted once per image is one class there."""
    return "classes" if unit == "images with the class" else unit


def _figure(tile: Tile, unit: str) -> str:
    source = _e(tile.image) if tile.image else "no image: neutral canvas"
    return (
        f'<figure><img src="{_e(tile.src)}" width="{tile.width}" height="{tile.height}" '
        f'alt="{_e(tile.stem)}"><figcaption><b>{_e(tile.stem)}</b> · {_e(tile.split)} · '
        f"{tile.item_width}×{tile.item_height} · {tile.annotations} {_e(unit)}<br>"
        f'<span class="muted">{source}</span></figcaption></figure>'
    )


def _hex(color: Sequence[int]) -> str:
    return "#%02x%02x%02x" % tuple(color[:3])
