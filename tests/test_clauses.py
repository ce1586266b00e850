"""Segmentation: clauses, kinds, section paths, sentences, exact rebuild."""

from __future__ import annotations

from pathlib import Path

from crawler.diff.clauses import rebuild, segment, strip_numbering

SAMPLE = Path(__file__).resolve().parent.parent / "crawler" / "localarchive" / "sample"
CASES = Path(__file__).parent / "fixtures" / "diff"


def test_headings_items_paragraphs_and_section_paths():
    clauses = segment((CASES / "insert.before").read_text())
    kinds = [c.kind for c in clauses]
    assert kinds[:3] == ["heading", "paragraph", "heading"]
    item = next(c for c in clauses if c.text == "- To send you updates")
    assert item.kind == "item" and item.section == "Example Privacy Policy › 2. How we use information"
    assert clauses[0].section == ""


def test_a_paragraph_is_one_clause_whatever_its_length():
    for n in (1, 3, 4, 6, 40):  # 80 to 3,200 characters: under and over the old 300-character threshold
        text = " ".join(["We collect information when you register, such as your name and e-mail address."] * n)
        clauses = segment(f"## Collection\n\n{text}\n\n- an item\n")
        assert [c.kind for c in clauses] == ["heading", "paragraph", "item"]
        assert clauses[1].text == text and rebuild(clauses) == f"## Collection\n\n{text}\n\n- an item\n"


def test_rebuild_is_exact_on_the_shipped_sample_texts():
    from crawler.extract.page import extract

    for page in sorted((SAMPLE / "realdata").glob("*/*.html"))[:12]:
        text = extract(page.read_bytes(), "text/html").text
        assert rebuild(segment(text)) == text


def test_odd_whitespace_survives():
    for text in ["", "\n\n", "\n\nLead", "one\n\n\n\ntwo\n", "  - indented item\n", "no newline at end", "   \nx"]:
        assert rebuild(segment(text)) == text


def test_a_line_of_spaces_is_no_clause():
    clauses = segment("- one item\n        \n- another item\n  \n")
    assert [c.text for c in clauses] == ["- one item", "- another item"]
    assert clauses[0].sep == "\n        \n" and rebuild(clauses) == "- one item\n        \n- another item\n  \n"


def test_strip_numbering():
    assert strip_numbering("## 3.1 Sharing") == "Sharing"
    assert strip_numbering("IV. Rights") == "Rights"
    assert strip_numbering("(a) children") == "children"
