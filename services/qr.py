"""QR codes to print at a post (the qrcode library, PNG through Pillow)."""

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def qr_png(content: str, *, box_size: int = 12) -> bytes:
    # Medium error correction survives a weathered print on a lamp post.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(content)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()
