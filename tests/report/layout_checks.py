"""Layout checks of the HTML pages, shared by the report tests (WeasyPrint boxes)."""

from __future__ import annotations

from typing import Any


def overflowing(box: Any, width: float, in_scroll: bool = False) -> list[str]:
    """Boxes whose right edge passes ``width``, but inside a ``.scroll`` box."""
    el = getattr(box, "element", None)
    cls = (el.get("class") or "") if el is not None else ""
    scroll = in_scroll or "scroll" in cls.split()
    out = []
    placed = not in_scroll and getattr(box, "position_x", None) is not None
    if placed and box.position_x + box.margin_width() > width + 0.5:
        out.append(f"{box.element_tag}.{cls}")
    for child in getattr(box, "children", []):
        out += overflowing(child, width, scroll)
    return out


def narrow_overflow(html: str, width: int = 480) -> list[str]:
    """
    Render ``html`` for a ``width`` px screen; the boxes passing its right edge.

    The page's ``@page`` size (A4 landscape, for print) is replaced by one tall
    page ``width`` wide, so the whole page is laid out as a phone would.
    """
    import weasyprint  # the optional engine; callers skip when it is not usable

    assert "size: A4 landscape; margin: 12mm" in html
    html = html.replace("size: A4 landscape; margin: 12mm", f"size: {width}px 40000px")
    doc = weasyprint.HTML(string=html, media_type="screen").render()
    assert len(doc.pages) == 1
    page = doc.pages[0]._page_box  # the layout tree (no public API for it)
    assert abs(page.margin_width() - width) <= 1
    return [b for c in page.children for b in overflowing(c, width)]
