# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Checks of an uploaded identity document before anything is stored:
the type is read from the content, never from the name or the browser,
and an image is measured from its header so that a decompression bomb is
refused without being decoded."""
import io
import warnings

import filetype
from PIL import Image

from trytond import config

IMAGE_TYPES = {'image/jpeg', 'image/png', 'image/webp'}
ALLOWED_TYPES = IMAGE_TYPES | {'application/pdf'}
EXTENSIONS = {
    'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp',
    'application/pdf': 'pdf'}


class UploadRefused(Exception):
    "Carries the key of the message that tells the subscriber why."

    def __init__(self, reason, **params):
        super().__init__(reason)
        self.reason = reason
        self.params = params


def max_bytes():
    return config.getint('partak', 'document_max_bytes', default=5 * 2 ** 20)


def max_pixels():
    return config.getint('partak', 'document_max_pixels', default=40_000_000)


def check_document(data):
    "Returns the MIME type of `data` or raises UploadRefused."
    if not data:
        raise UploadRefused('empty')
    if len(data) > max_bytes():
        raise UploadRefused('too_big', limit=max_bytes())
    kind = filetype.guess(data[:8192])
    mimetype = kind.mime if kind else None
    if mimetype not in ALLOWED_TYPES:
        raise UploadRefused('bad_type')
    if mimetype in IMAGE_TYPES:
        _check_image(data)
    elif b'%%EOF' not in data[-2048:]:
        # A PDF cut short in transit is useless to the reviewer.
        raise UploadRefused('damaged')
    return mimetype


def _check_image(data):
    with warnings.catch_warnings():
        warnings.simplefilter('error', Image.DecompressionBombWarning)
        try:
            # open() reads only the header: width and height come before any
            # pixel is decoded, so a bomb is caught here, cheaply.
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > max_pixels():
                    raise UploadRefused('too_many_pixels')
                if width < 200 or height < 200:
                    raise UploadRefused('too_small')
                image.verify()
        except UploadRefused:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise UploadRefused('too_many_pixels')
        except Exception:
            raise UploadRefused('damaged')
