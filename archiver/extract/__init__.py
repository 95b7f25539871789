"""HTML -> Extracted: canonical URL, title, byline, date, language, main text and the links in the body.

The package is the only room that imports trafilatura. Its parts:
  decode  bytes -> text (BOM, HTTP charset, <meta> charset, UTF-8, detection)
  meta    canonical URL, title, byline, publication date, language
  links   which <a> elements of the original DOM are references in the body
  core    extract() itself: parsing, the trafilatura run, the main text
"""

from archiver.extract.core import MAX_ELEMENTS, MAX_HTML_BYTES, extract
from archiver.extract.charset import decode_html

__all__ = ["MAX_ELEMENTS", "MAX_HTML_BYTES", "decode_html", "extract"]
