"""A report as an A4 PDF (reportlab), with Chinese in the built-in CID font STSong-Light.

STSong-Light is one of the Adobe CJK fonts every PDF reader must supply (Adobe-GB1 character
collection, UniGB-UCS2-H encoding), so nothing is embedded: a 200-row report renders in about a tenth
of a second and stays small. The first page carries the report number, time of issue, verification URL
and a QR code of that URL (segno); every page carries the number and the URL in its footer.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from xinyong import chinatime
from xinyong.reports.content import Item, Report, Section

FONT = "STSong-Light"
MARGIN = 15 * mm
QR_SIZE = 28 * mm
MARKS = {
    "under_objection": ("异议处理中", "under objection"),
    "under_review": ("行政复议或诉讼中", "under administrative review or litigation"),
}
PURPOSES = {
    "due_diligence": ("尽职调查", "due diligence"),
    "bank_loan": ("银行贷款", "bank loan"),
    "bidding": ("招投标", "bidding"),
    "government_funding": ("政府资金支持", "government funding"),
    "understanding": ("了解企业信用", "understanding a company"),
    "other": ("其他", "other"),
    "self": ("查询本人信用", "own credit"),
}
LABELS = {
    "title": ("公共信用信息报告", "Public Credit Information Report"),
    "personal_title": ("个人公共信用信息报告", "Personal Public Credit Information Report"),
    "number": ("报告编号", "Report number"),
    "issued": ("出具时间", "Issued at"),
    "as_of": ("信息截止日期", "Information as of"),
    "purpose": ("查询用途", "Purpose"),
    "name": ("主体名称", "Name"),
    "identifier": ("统一社会信用代码/证件号码", "Identifier"),
    "kind": ("主体类型", "Kind"),
    "legal_rep": ("法定代表人", "Legal representative"),
    "registered": ("成立日期", "Registered on"),
    "former": ("曾用名", "Former names"),
    "verify": ("验证地址", "Verify at"),
    "none": ("无", "None"),
    "col_no": ("序号", "No."),
    "col_item": ("信息内容", "Information"),
    "col_doc": ("文书号/日期", "Document / date"),
    "col_unit": ("提供单位", "Source unit"),
    "col_basis": ("依据", "Legal basis"),
    "omitted": ("本报告不包含的信息及原因", "What this report does not contain, and why"),
    "count": ("条", " record(s)"),
    "statement": (
        "本报告依据公共信用信息目录和公示期限规则生成，仅反映出具时平台归集的公共信用信息。"
        "报告经平台 Ed25519 数字签名，可在上述验证地址或以离线验证工具核验真伪及是否仍为最新。",
        "Generated under the public credit information catalog and its publicity rules; it reflects the "
        "information held by the platform at the time of issue. Signed with the platform's Ed25519 key: "
        "check it at the verification URL above, or offline with the standalone verifier.",
    ),
    "page": ("第 {n} 页", "Page {n}"),
    "publicity_ends": ("公示截止", "published until"),
}


@cache
def _font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


@cache
def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=18, leading=24, alignment=1),
        "h": ParagraphStyle("h", fontName=font, fontSize=11.5, leading=16, spaceBefore=8, spaceAfter=4),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9.5),
        "text": ParagraphStyle("text", fontName=font, fontSize=8.5, leading=12),
        "note": ParagraphStyle(
            "note", fontName=font, fontSize=8, leading=11, textColor=colors.HexColor("#8a4b00")
        ),
    }


def label(key: str, lang: str) -> str:
    zh, en = LABELS[key]
    return en if lang == "en" else zh


def _p(text: object, style: str = "cell") -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), _styles()[style])


def render(report: Report) -> bytes:
    """The unsigned PDF of ``report`` (sign it with ``xinyong.reports.signing``)."""
    lang = report.body.lang
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=f"{label('title', lang)} {report.number}",
        author="xinyong",
        subject=report.number,
        creator="xinyong",
        invariant=False,
    )
    story = _story(report)
    doc.build(story, onFirstPage=_first_page(report), onLaterPages=_footer(report))
    return buf.getvalue()


def _story(report: Report) -> list[Flowable]:
    body, lang = report.body, report.body.lang
    title = label("personal_title" if body.personal else "title", lang)
    story: list[Flowable] = [_p(title, "title"), Spacer(1, 4 * mm), _header_table(report)]
    for n, section in enumerate(body.sections, 1):
        story.append(_p(f"{n}. {section.title}", "h"))
        if section.note:
            story.append(_p(section.note, "note"))
        story.append(_items_table(section, lang) if section.items else _p(label("none", lang), "text"))
    story.append(_p(f"{len(body.sections) + 1}. {label('omitted', lang)}", "h"))
    for o in body.omitted:
        count = (
            ""
            if o.count is None
            else f"（{o.count}{label('count', lang)}）"
            if lang != "en"
            else f" ({o.count}{label('count', lang)})"
        )
        story.append(_p(f"－ {o.text}{count}", "text"))
    story += [Spacer(1, 4 * mm), _p(label("statement", lang), "text")]
    return story


def _header_table(report: Report) -> Table:
    body, lang = report.body, report.body.lang
    s = body.subject
    purpose = PURPOSES.get(body.purpose, (body.purpose, body.purpose))
    rows = [
        ("number", report.number),
        ("issued", report.issued_at.astimezone(chinatime.CHINA).strftime("%Y-%m-%d %H:%M:%S (UTC+8)")),
        ("as_of", body.as_of.isoformat()),
        ("purpose", purpose[1] if lang == "en" else purpose[0]),
        ("name", s.name),
        ("identifier", s.identifier),
        ("kind", s.kind_name),
    ]
    if s.legal_representative:
        rows.append(("legal_rep", s.legal_representative))
    if s.registered_on:
        rows.append(("registered", s.registered_on.isoformat()))
    if s.former_names:
        rows.append(("former", "、".join(s.former_names)))
    rows.append(("verify", report.verify_url))
    data = [[_p(label(k, lang)), _p(v)] for k, v in rows]
    table = Table(data, colWidths=[38 * mm, A4[0] - 2 * MARGIN - 38 * mm - QR_SIZE - 4 * mm], hAlign="LEFT")
    table.setStyle(_grid(header=False))
    return table


def _grid(header: bool = True) -> TableStyle:
    commands: list[tuple[object, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#999999")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")))
    else:
        commands.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")))
    return TableStyle(commands)


WIDTHS = (9 * mm, 74 * mm, 32 * mm, 32 * mm, 33 * mm)
CELL_SIZE = 7.5
CELL_PAD = 6  # left + right cell padding (reportlab's default 6 pt each side, less a safety margin)
MARK_COLOR = colors.HexColor("#b00020")


def _items_table(section: Section, lang: str) -> Table:
    """Items as a table of plain, pre-wrapped strings: reportlab draws those an order of magnitude
    faster than Paragraph cells, which re-wrap on every page split (the 500 ms target)."""
    head = [label(k, lang) for k in ("col_no", "col_item", "col_doc", "col_unit", "col_basis")]
    data: list[Sequence[str]] = [head]
    style = _grid()
    style.add("FONT", (0, 0), (-1, -1), _font(), CELL_SIZE, CELL_SIZE + 2)
    for n, item in enumerate(section.items, 1):
        data.append(_row(n, item, lang))
        if item.marks:
            style.add("TEXTCOLOR", (1, n), (1, n), MARK_COLOR)
    table = Table(data, colWidths=WIDTHS, repeatRows=1)
    table.setStyle(style)
    return table


def _row(n: int, item: Item, lang: str) -> list[str]:
    sep = ": " if lang == "en" else "："
    lines = [item.item_name] + [f"{k}{sep}{v}" for k, v in item.summary if v]
    if item.marks:
        lines.append(
            "【" + "，".join(MARKS.get(m, (m, m))[1 if lang == "en" else 0] for m in item.marks) + "】"
        )
    doc = [
        x
        for x in (
            item.document_number or "",
            item.decision_date.isoformat() if item.decision_date else "",
            f"{label('publicity_ends', lang)} {item.publicity_ends}" if item.publicity_ends else "",
        )
        if x
    ]
    cells = (lines, doc, [item.unit_name], list(item.legal_basis))
    return [str(n)] + [wrap(c, w - CELL_PAD) for c, w in zip(cells, WIDTHS[1:], strict=True)]


@cache
def _char_width(ch: str) -> float:
    return float(pdfmetrics.stringWidth(ch, _font(), CELL_SIZE))


def wrap(lines: Sequence[str], width: float) -> str:
    """Break each line to fit ``width`` points: Chinese between any two characters, Latin text at
    spaces where it can (a word longer than the line is cut)."""
    out: list[str] = []
    for line in lines:
        current, used, last_space = "", 0.0, -1
        for ch in line:
            w = _char_width(ch)
            if used + w > width and current:
                if last_space > 0 and ch != " ":
                    out.append(current[:last_space])
                    current = current[last_space + 1 :]
                    used = sum(_char_width(c) for c in current)
                else:
                    out.append(current.rstrip())
                    current, used = "", 0.0
                last_space = -1
                if ch == " " and not current:
                    continue
            if ch == " ":
                last_space = len(current)
            current += ch
            used += w
        out.append(current)
    return "\n".join(out)


def _footer(report: Report):  # type: ignore[no-untyped-def]  # reportlab's page callback signature
    lang = report.body.lang

    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(_font(), 7)
        canvas.setFillColor(colors.HexColor("#555555"))
        text = f"{label('number', lang)} {report.number}    {label('verify', lang)} {report.verify_url}"
        canvas.drawString(MARGIN, MARGIN - 2 * mm, text)
        canvas.drawRightString(A4[0] - MARGIN, MARGIN - 2 * mm, label("page", lang).format(n=doc.page))
        canvas.restoreState()

    return draw


def _first_page(report: Report):  # type: ignore[no-untyped-def]  # reportlab's page callback signature
    footer = _footer(report)

    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        draw_qr(canvas, report.verify_url, A4[0] - MARGIN - QR_SIZE, A4[1] - MARGIN - QR_SIZE - 12 * mm)
        footer(canvas, doc)

    return draw


def draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float = QR_SIZE) -> None:
    """A QR code of ``data`` (segno, error correction M) as one filled path of its dark modules."""
    qr = segno.make(data, error="m", micro=False)
    matrix = qr.matrix
    unit = size / len(matrix)
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                path.rect(x + c * unit, y + size - (r + 1) * unit, unit, unit)
    canvas.saveState()
    canvas.setFillColor(colors.black)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
