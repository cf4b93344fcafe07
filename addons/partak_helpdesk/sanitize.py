# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The one place that decides which HTML a ticket message may keep.

Bodies come from the portal's editor and from sao's rich-text widget, but
a browser can post anything: the server cleans every body before storing
it, and the portal renders only what was stored."""
import html as html_module
import re

import nh3

# What the editors produce for bold, italic, underline, size and font; no
# links, images or styles (the portal's CSP forbids inline styles anyway).
TAGS = {'b', 'strong', 'i', 'em', 'u', 'span', 'font', 'p', 'br', 'div',
    'ul', 'ol', 'li'}
ATTRIBUTES = {'font': {'face'}}
# <font size> as document.execCommand('fontSize') writes it: 1 to 7.
ATTRIBUTE_VALUES = {'font': {'size': {str(i) for i in range(1, 8)}}}
# Whose content is dropped with the tag, not kept as text.
DROP_WITH_CONTENT = {'script', 'style', 'iframe', 'object', 'embed',
    'template', 'noscript', 'textarea', 'select'}
FACE = re.compile(r'^[\w \-,\'"]{1,64}$')


def _filter(tag, attribute, value):
    if tag == 'font' and attribute == 'face':
        return value if FACE.match(value) else None
    return value


def clean_html(html):
    "Returns the safe subset of `html` (a str, maybe empty)."
    if not html:
        return ''
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES,
        tag_attribute_values=ATTRIBUTE_VALUES,
        clean_content_tags=DROP_WITH_CONTENT, attribute_filter=_filter,
        url_schemes=set(), link_rel=None, strip_comments=True).strip()


def plain_text(html):
    "The words of a body, without tags: for checks and SMS previews."
    text = nh3.clean(html or '', tags=set(),
        clean_content_tags=DROP_WITH_CONTENT)
    return ' '.join(html_module.unescape(text).split())
