"""The enrolment QR code as inline SVG, made on the server so the page needs no script (and no image request).

segno (pure Python, maintained, no Pillow) draws it. Error correction M (15 %) is what authenticator apps scan
reliably from a screen; a 160-bit secret's otpauth URI fits in a version 5 to 7 symbol.
"""

from __future__ import annotations

import segno


def qr_svg(text: str, title: str) -> str:
    """An <svg role="img"> of `text` as a QR code, its accessible name `title` (the page shows the text itself beside
    it as well: a code cannot be read aloud)."""
    symbol = segno.make(text, error="m", micro=False)
    svg = symbol.svg_inline(scale=4, border=4, title=title, svgclass="totp-qr", lineclass=None)
    return svg.replace("<svg ", '<svg role="img" ', 1)
