"""PDF from SVG, in pure Python: how a plain ``pip install`` writes PDF figures.

graphviz-pure (the renderer a plain install has) writes SVG and PNG but no PDF, so
:func:`~markovwire.diagrams.render.render` converts its SVG with svglib and reportlab
(pure-Python wheels, imported only when a PDF is asked for). A system ``dot``, when
there is one, still writes the PDF itself. Text stays text (Helvetica, one of PDF's
standard fonts), so the figure's labels can be searched and copied.

>>> svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="60pt" height="20pt" viewBox="0 0 60 20">'
...        b'<text x="5" y="15" font-family="Helvetica" font-size="10">monitor</text></svg>')
>>> svg_to_pdf(svg)[:5]
b'%PDF-'
"""
from __future__ import annotations

import io
import logging

from markovwire.errors import RenderError

_WHERE = "PDF conversion (svglib)"


def svg_to_pdf(svg: bytes) -> bytes:
    """The PDF of one SVG image, one page the size of the image."""
    try:
        from reportlab.graphics import renderPDF
        from svglib.svglib import svg2rlg
    except ImportError as e:
        raise RenderError(_WHERE, f"needs the packages svglib and reportlab, which are not installed ({e})",
                          fix="run `pip install svglib reportlab` (they are dependencies of markovwire), "
                              "install a system graphviz (apt-get install graphviz), or render to svg or png") \
            from None
    log = logging.getLogger("svglib")
    quiet = log.level
    log.setLevel(logging.CRITICAL)  # svglib logs what it skips; a failure is reported below instead
    try:
        drawing = svg2rlg(io.BytesIO(svg))
        if drawing is None:
            raise ValueError("the SVG could not be read")
        return renderPDF.drawToString(drawing)
    except Exception as e:  # svglib and reportlab raise many kinds; each is a failed conversion
        raise RenderError(_WHERE, f"could not convert the figure's SVG to PDF ({type(e).__name__}: {e})",
                          fix="render to svg (-o figure.svg) and convert it with another tool, or install a "
                              "system graphviz (apt-get install graphviz), which writes PDF itself; "
                              "please report the figure as a bug in markovwire") from None
    finally:
        log.setLevel(quiet)
