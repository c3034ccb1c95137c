"""Joined articles: a Wikipedia article's indexed paragraphs in one document, spans shifted."""

from __future__ import annotations

from eval.joined import join_paragraphs, joined_id
from eval.squad import SquadParagraph, squad_split
from index.article import Article


def _paragraph(doc_id: str, text: str) -> SquadParagraph:
    return SquadParagraph(Article.create(id=doc_id, text=text, lang="ar"), ())


def test_indexed_paragraphs_are_joined_in_order_and_held_back_ones_left_out() -> None:
    paragraphs = [
        _paragraph("xquad-ar-3-0", "الفقرة الأولى."),
        _paragraph("xquad-ar-3-1", "الفقرة الثانية المحجوبة."),
        _paragraph("xquad-ar-3-2", "الفقرة الثالثة."),
        _paragraph("xquad-ar-4-0", "مقالة أخرى."),
    ]
    articles, offsets = join_paragraphs(paragraphs, {"xquad-ar-3-1"})
    by_id = {a.id: a.text for a in articles}
    assert by_id == {
        "xquad-ar-3-joined": "الفقرة الأولى.\nالفقرة الثالثة.",
        "xquad-ar-4-joined": "مقالة أخرى.",
    }
    joined = by_id[joined_id("xquad-ar-3-2")]
    start = offsets["xquad-ar-3-2"]
    assert joined[start : start + len("الفقرة الثالثة.")] == "الفقرة الثالثة."
    assert "xquad-ar-3-1" not in offsets
    assert squad_split(paragraphs, fraction=0.0).questions == ()
