"""PDF documents render offline and never fetch what user data points at."""

import http.server
import threading
from unittest import mock

from onboarding.reports import pdf


def test_a_document_template_renders_to_a_pdf():
    assert pdf.pdf_bytes("documents/_base.html", {}).startswith(b"%PDF-")


def test_an_image_url_in_a_document_is_not_fetched():
    requests = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    html = f'<img src="http://127.0.0.1:{server.server_port}/x.png"><p>₹5,19,500</p>'
    try:
        with mock.patch.object(pdf, "render_to_string", return_value=html):
            content = pdf.pdf_bytes("documents/_base.html", {})
    finally:
        server.shutdown()
    assert content.startswith(b"%PDF-")
    assert requests == []
