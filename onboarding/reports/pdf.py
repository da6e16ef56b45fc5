"""PDF documents (payout statements, monthly report packs) rendered from templates.

WeasyPrint lays the HTML out with Pango; the fonts come from Debian's fonts-dejavu
(₹ and Devanagari included), so a document never fetches anything from the network.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher


def pdf_bytes(template_name: str, context: dict) -> bytes:
    """The template rendered to a PDF, with every image and stylesheet inline."""
    html = render_to_string(template_name, context)
    # Data from users ends up in documents: it must never make the server fetch a URL.
    offline = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=offline).write_pdf()
