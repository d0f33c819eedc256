"""Outline + report view -> Document: headings numbered by position, paragraphs from the kind's macros."""

from __future__ import annotations

from typing import Any

from .annexes import annex_plan
from .document import AnnexHeading, Block, Document, Heading, PageBreak, Paragraph, SectionBreak, Signature, Table, add_toc
from .filters import ordinal
from .outline import Outline, Section, data_title, present, required, resolve
from .tables import TABLES


def paragraphs(text: str) -> list[Paragraph]:
    """Each non-empty line of macro output is one paragraph."""
    return [Paragraph(line.strip()) for line in str(text).split("\n") if line.strip()]


def annex_tables(r: Any, outline: Outline, only: list[str] | None = None, layout: Any = None) -> list[tuple[str, str, Table]]:
    """(附件N, title, table) for each annex the report view carries, numbered as in the full report."""
    return [(f"附件{n}", a.title, a.table(r, layout)) for n, a in annex_plan(r, outline.annexes)
            if only is None or a.name in only]


def annex_blocks(tables: list[tuple[str, str, Table]], first_page: bool = False) -> list[Block]:
    """Each annex on a new page: 附件N, its title, its table; a wide table's page turned landscape."""
    blocks: list[Block] = []
    landscape = False
    for label, title, table in tables:
        if table.landscape != landscape:
            if blocks or not first_page:
                blocks.append(SectionBreak(landscape_before=landscape))
            landscape = table.landscape
        elif blocks or not first_page:
            blocks.append(PageBreak())
        blocks += [AnnexHeading(label, title), table]
    return blocks


def table_blocks(table: Table) -> list[Block]:
    """A table in the body; one too wide for the page gets landscape pages of its own."""
    if not table.landscape:
        return [table]
    return [SectionBreak(landscape_before=False), table, SectionBreak(landscape_before=True)]


def build_document(r: Any, outline: Outline, macros: Any, layout: Any = None) -> Document:
    doc = Document(kind=r.kind, title=r.report_title, author=r.signer, page_numbers=r.settings.page_numbers)
    blocks = doc.blocks
    _Sections(r, macros, blocks).visit(outline.sections, 1)
    plan = annex_plan(r, outline.annexes)
    # One annex a line, the later ones under the first (GB/T 9704): "附件：" is three characters wide.
    for i, (n, a) in enumerate(plan):
        blocks.append(Paragraph(f"{'附件：' if i == 0 else '　　　'}{n}.{a.title}"))
    blocks.append(Signature(r.signer, r.signed_on))
    blocks.extend(annex_blocks(annex_tables(r, outline, layout=layout)))
    if outline.toc if r.settings.toc is None else r.settings.toc:
        add_toc(doc)
    return doc


class _Sections:
    """The outline's sections as blocks (methods, not nested functions: a recursive closure is a reference
    cycle, which kept each report's view and document alive until the cyclic collector came by)."""

    def __init__(self, r: Any, macros: Any, blocks: list[Block]):
        self.r, self.macros, self.blocks = r, macros, blocks

    def body(self, section: Section) -> None:
        for block in section.body:
            if block.text is not None:
                self.blocks.extend(paragraphs(getattr(self.macros, block.text)()))
            else:
                table = TABLES[block.table](self.r)
                if table is not None:
                    self.blocks.extend(table_blocks(table))

    def visit(self, sections: list[Section], level: int) -> int:
        """Emit the present sections; returns how many numbered positions were used."""
        r, blocks = self.r, self.blocks
        position = 0
        for section in sections:
            if not present(section, r):
                if required(section, r):  # only reached with --force: the gap stays visible, never dropped silently
                    position += section.numbered
                    need = section.when or section.each
                    what = f"{data_title(r.kind, need)}（{need}）" if need else "其下级章节的数据"
                    blocks.append(Heading(level, ordinal(position, level) if section.numbered else "", section.title,
                                          section.id))
                    blocks.append(Paragraph(f"【待补充：缺少{what}】"))
                continue
            number = ""
            if section.numbered:
                position += 1
                number = ordinal(position, level)
            blocks.append(Heading(level, number, section.title, section.id))
            self.body(section)
            # Fixed children come first, then one section per item, numbered in one sequence.
            child = self.visit(section.children, level + 1)
            if section.each is not None:
                for item in resolve(r, section.each):
                    child += 1
                    blocks.append(Heading(level + 1, ordinal(child, level + 1), str(getattr(item, section.item_title)),
                                          f"{section.id}.{child}"))
                    if section.item_body:
                        blocks.extend(paragraphs(getattr(self.macros, section.item_body)(item, child)))
        return position
