"""A real HTTP image server on 127.0.0.1 for the fetch-media tests, with fault knobs."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ImageServer:
    """Serves ``files`` (path → bytes) with ETag and Range support.

    Knobs: ``fail[path] = n`` answers 503 (Retry-After: 0) to the first n requests;
    ``cut[path] = n`` sends the full Content-Length but closes after n bytes (once);
    ``status[path] = code`` always answers that status; ``hold`` (a threading.Event)
    makes every request wait until it is set. Counts requests and the peak number of
    requests in flight.
    """

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.fail: dict[str, int] = {}
        self.cut: dict[str, int] = {}
        self.status: dict[str, int] = {}
        self.requests: list[tuple[str, str]] = []
        self.in_flight = 0
        self.peak = 0
        self.lock = threading.Lock()
        self.hold: threading.Event | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                with server.lock:
                    server.in_flight += 1
                    server.peak = max(server.peak, server.in_flight)
                    server.requests.append((self.path, self.headers.get("Range", "")))
                try:
                    if server.hold is not None:
                        server.hold.wait(10)
                    self._serve()
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def _serve(self):
                path = self.path
                if path in server.status:
                    self._plain(server.status[path])
                    return
                if server.fail.get(path, 0) > 0:
                    server.fail[path] -= 1
                    self._plain(503, {"Retry-After": "0"})
                    return
                data = server.files.get(path)
                if data is None:
                    self._plain(404)
                    return
                etag = '"' + hashlib.md5(data).hexdigest() + '"'
                start = 0
                rng = self.headers.get("Range", "")
                if rng.startswith("bytes=") and self.headers.get("If-Range", etag) == etag:
                    start = int(rng[6:].split("-")[0])
                body = data[start:]
                self.send_response(206 if start else 200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.end_headers()
                cut = server.cut.pop(path, None)
                if cut is not None:
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def _plain(self, code, headers=None):
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ImageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.hold is not None:
            self.hold.set()
        self.httpd.shutdown()
        self.httpd.server_close()
