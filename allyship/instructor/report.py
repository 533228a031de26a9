"""The class report: one self-contained HTML file (inline CSS and SVG, no script at all).

A Content-Security-Policy forbids scripts and remote loads as a second line of defence; the first
is that everything a student wrote, names included, passes through ``html.escape``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from allyship.course import PILLARS, Prompt
from allyship.instructor.rows import StudentRow, duration

if TYPE_CHECKING:
    from allyship.instructor.run import GradeRun

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"
SYMBOL = {
    "complete": ("✓", "complete"),
    "partial": ("◐", "partial credit"),
    "incomplete": ("✗", "incomplete"),
    "review": ("?", "needs review"),
    "missing": ("–", "not submitted"),
    "failed": ("!", "file failed"),
}
CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:75rem;padding:0 1rem;
color:#1b1b1b;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #bbb;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f1f1f1}
td.cell{text-align:center;min-width:6.5rem;font-weight:600}
.complete{background:#cfe8d5;color:#0b3d17}.partial{background:#fbe8b5;color:#4a3500}
.incomplete{background:#f6c9c4;color:#5c1009}.review{background:#d7dcf5;color:#18225c;
box-shadow:inset 4px 0 0 #18225c}.missing{background:#e6e6e6;color:#333}
.legend span{display:inline-block;padding:.1rem .5rem;margin-right:.5rem;border:1px solid #999}
.summary{font-weight:600}.muted{color:#555}figure{margin:1rem 0}svg text{font:12px sans-serif}
details pre{white-space:pre-wrap;background:#f7f7f7;padding:.5rem}
"""


def write(path: Path, run: GradeRun) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(run), encoding="utf-8")


def render(run: GradeRun) -> str:
    """The report of a run; it reads only the run's rows, problems, notes and warnings."""
    assignment, prompts, include_text = run.assignment, run.prompts, run.include_text
    title = PILLARS.get(assignment, assignment)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Class report: {escape(assignment)}</title><style>{CSS}</style></head><body>",
        f"<header><h1>Class report: {escape(title)} <span class='muted'>({escape(assignment)})"
        f"</span></h1><p class='summary' id='summary'>{escape(run.summary())}</p>",
        f"<p class='muted'>Generated {now}. Scores, word counts and reasons only"
        f"{'; reflection texts included at the instructor’s request' if include_text else ''}."
        " Nothing in this file loads from the network.</p></header><main>",
        _heatmap(prompts, run.rows),
        _words(prompts, run.rows),
        _review(run.rows),
        _missing(run.rows),
        _failed(run),
        _run_notes(run),
        _no_lms(run.rows),
    ]
    if include_text:
        parts.append(_texts(prompts, run.rows))
    parts.append("</main></body></html>")
    return "\n".join(p for p in parts if p)


def _name_cell(row: StudentRow) -> str:
    name = escape(row.student.display_name)
    sid = escape(row.student.id)
    label = f"{name} <span class='muted'>({sid})</span>"
    if row.feedback:
        return f'<a href="{escape(row.feedback)}" title="feedback for {name}">{label}</a>'
    return label


def _heatmap(prompts: Sequence[Prompt], rows: Sequence[StudentRow]) -> str:
    head = "".join(
        f'<th scope="col" title="{escape(p.title)}">{escape(p.title or p.grade_id)}'
        f"<br><span class='muted'>{escape(p.grade_id)}</span></th>"
        for p in prompts
    )
    legend = "".join(
        f'<span class="{cls}">{sym} {label}</span>' for cls, (sym, label) in SYMBOL.items()
    )
    body = []
    for row in rows:
        cells = []
        for p, result in zip(prompts, row.prompts, strict=True):
            symbol, label = SYMBOL[result.status]
            score = "" if result.score is None else f" {result.score:g}/{result.max_score:g}"
            words = "" if result.words is None else f", {result.words} words"
            why = f": {result.reason}" if result.reason else ""
            override = " (grader override)" if result.overridden else ""
            tip = f"{row.student.display_name}, {p.title or p.grade_id}: {label}{score}{words}"
            cells.append(
                f'<td class="cell {result.status}" title="{escape(tip + override + why)}">'
                f"{symbol} {escape(label)}{escape(score)}{'*' if result.overridden else ''}</td>"
            )
        total = "" if row.total is None else f"{row.total:g}/{row.max_score:g}"
        late = duration(row.seconds_late) if row.seconds_late else ""
        body.append(
            f"<tr data-student='{escape(row.student.id)}'><th scope='row'>{_name_cell(row)}</th>"
            f"{''.join(cells)}<td>{escape(total)}</td><td>{escape(late)}</td></tr>"
        )
    return (
        "<section id='completion'><h2>Completion by student and prompt</h2>"
        f"<p class='legend'>{legend} <span>* a grader’s override</span></p>"
        "<table class='heatmap'><caption class='muted'>Each cell says its status in words; "
        "hover for the reason.</caption>"
        f"<thead><tr><th scope='col'>Student</th>{head}<th scope='col'>Total</th>"
        f"<th scope='col'>Late by</th></tr></thead><tbody>{''.join(body)}</tbody></table>"
        "</section>"
    )


def _histogram(prompt: Prompt, counts: list[int]) -> str:
    """An SVG bar chart of word counts, with a text equivalent (title, labels, summary)."""
    if not counts:
        return f"<p>{escape(prompt.title or prompt.grade_id)}: no submissions yet.</p>"
    top = max(counts)
    width = max(10, math.ceil(max(top, prompt.min_words or 1) / 8 / 10) * 10)
    nbins = top // width + 1
    bins = [0] * nbins
    for n in counts:
        bins[n // width] += 1
    peak = max(bins)
    bar_w, h = 48, 120
    bars = []
    for i, n in enumerate(bins):
        lo, hi = i * width, i * width + width - 1
        bh = 0 if not peak else round(h * n / peak)
        x = 40 + i * (bar_w + 6)
        below = hi < prompt.min_words
        bars.append(
            f"<g><title>{lo}–{hi} words: {n} students</title>"
            f'<rect x="{x}" y="{20 + h - bh}" width="{bar_w}" height="{bh}" '
            f'fill="{"#c0392b" if below else "#2e7d4f"}"></rect>'
            f'<text x="{x + bar_w / 2}" y="{16 + h - bh}" text-anchor="middle">{n}</text>'
            f'<text x="{x + bar_w / 2}" y="{h + 36}" text-anchor="middle">{lo}–{hi}</text></g>'
        )
    svg_w = 40 + nbins * (bar_w + 6) + 10
    name = escape(prompt.title or prompt.grade_id)
    short = sum(n < prompt.min_words for n in counts)
    text = (
        f"{len(counts)} answers; median {statistics.median(counts):g} words, "
        f"min {min(counts)}, max {max(counts)}; {short} below the {prompt.min_words}-word minimum"
    )
    return (
        f"<figure><figcaption><strong>{name}</strong>: {escape(text)} "
        "(red bars: below the minimum)</figcaption>"
        f'<svg role="img" aria-label="{escape(f"Word counts, {prompt.title}: {text}")}" '
        f'width="{svg_w}" height="{h + 45}" viewBox="0 0 {svg_w} {h + 45}">'
        f"<title>Word counts: {name}</title>{''.join(bars)}"
        f'<line x1="36" y1="{h + 20}" x2="{svg_w}" y2="{h + 20}" stroke="#333"></line></svg>'
        "</figure>"
    )


def _words(prompts: Sequence[Prompt], rows: Sequence[StudentRow]) -> str:
    charts = []
    for i, prompt in enumerate(prompts):
        counts = [r.prompts[i].words for r in rows if r.status == "graded"]
        charts.append(_histogram(prompt, [c for c in counts if c is not None]))
    return "<section id='words'><h2>Words per prompt</h2>" + "".join(charts) + "</section>"


def _review(rows: Sequence[StudentRow]) -> str:
    items = [
        f"<tr><th scope='row'>{_name_cell(r)}</th><td><ul>"
        + "".join(f"<li>{escape(f)}</li>" for f in r.flags)
        + "</ul></td></tr>"
        for r in rows
        if r.needs_review
    ]
    if not items:
        return "<section id='review'><h2>Needs review</h2><p>Nobody.</p></section>"
    return (
        f"<section id='review'><h2>Needs review ({len(items)})</h2><table><thead><tr>"
        "<th scope='col'>Student</th><th scope='col'>Why</th></tr></thead>"
        f"<tbody>{''.join(items)}</tbody></table></section>"
    )


def _missing(rows: Sequence[StudentRow]) -> str:
    missing = [r for r in rows if r.status == "missing"]
    items = "".join(
        f"<li>{escape(r.student.display_name)} ({escape(r.student.id)})</li>" for r in missing
    )
    return (
        f"<section id='missing'><h2>Missing ({len(missing)})</h2>"
        + (f"<ul>{items}</ul>" if missing else "<p>Everyone submitted.</p>")
        + "</section>"
    )


def _failed(run: GradeRun) -> str:
    names = {r.student.id: r.student.display_name for r in run.rows}
    items = "".join(
        f"<tr><td>{escape(names.get(p.student, p.student))}</td><td>{escape(p.file)}</td>"
        f"<td>{escape(p.reason)}"
        f"{'' if run.is_new(p) else ' <span class=muted>(reported before, unchanged)</span>'}"
        "</td></tr>"
        for p in run.failed
    )
    if not run.failed:
        return "<section id='failed'><h2>Files that failed</h2><p>None.</p></section>"
    return (
        f"<section id='failed'><h2>Files that failed ({len(run.failed)})</h2><table><thead><tr>"
        "<th scope='col'>Student</th><th scope='col'>File</th><th scope='col'>Why</th></tr>"
        f"</thead><tbody>{items}</tbody></table></section>"
    )


def _run_notes(run: GradeRun) -> str:
    """What the run says about itself: feedback released or not, notes, nbgrader's warnings."""
    items = [run.feedback_line(), *run.notes, *(f"nbgrader: {w}" for w in run.warnings)]
    lis = "".join(f"<li>{escape(item)}</li>" for item in items)
    return f"<section id='run'><h2>About this run</h2><ul>{lis}</ul></section>"


def _no_lms(rows: Sequence[StudentRow]) -> str:
    absent = [r for r in rows if not r.student.lms_id]
    if not absent:
        return ""
    items = "".join(f"<li>{escape(r.student.display_name)}</li>" for r in absent)
    return (
        f"<section id='no-lms'><h2>Not in the LMS files ({len(absent)})</h2>"
        f"<p>No LMS id in the roster: left out of canvas.csv and moodle.csv.</p>"
        f"<ul>{items}</ul></section>"
    )


def _texts(prompts: Sequence[Prompt], rows: Sequence[StudentRow]) -> str:
    blocks = []
    for r in rows:
        if r.status != "graded":
            continue
        inner = "".join(
            f"<h3>{escape(p.title or p.grade_id)}</h3><pre>{escape(res.text or '')}</pre>"
            for p, res in zip(prompts, r.prompts, strict=True)
        )
        blocks.append(
            f"<details><summary>{escape(r.student.display_name)}</summary>{inner}</details>"
        )
    return "<section id='texts'><h2>Reflections</h2>" + "".join(blocks) + "</section>"
