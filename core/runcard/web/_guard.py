"""The request guard of `runcard server` and `runcard ui`: API keys, body size, and writes only
from the server's own pages or from clients that are not browsers.

A browser lets any page send a "simple" cross-site POST (text/plain, no preflight) to a loopback
port, and such a page may run on another loopback port: so a write must say it is JSON (which a
cross-site page cannot send without a preflight, which the server never answers), and a write
whose `Sec-Fetch-Site` or `Origin` header names another origin is refused. Clients that are not
browsers (runcard's own, curl) send neither header.
"""

from __future__ import annotations

import base64
import hmac
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import JSONResponse, Response

MAX_BODY_BYTES = 32 * 2**20
READS = ("GET", "HEAD", "OPTIONS")
# "none": the user typed the URL or used a bookmark; anything but these two is another origin
OWN_FETCH_SITES = (b"same-origin", b"none")


class Guard:
    """ASGI middleware: refuse requests without a valid key (when keys are set), bodies declared
    larger than the limit, and writes that are not JSON or come from another origin, before
    the app sees them."""

    def __init__(self, app: Any, api_keys: list[str], max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.state = app.state
        self._keys = [key.encode() for key in api_keys]
        self._max_body = max_body

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Any, headers: dict[bytes, bytes]) -> Response | None:
        if self._keys and not self._authorized(headers.get(b"authorization", b"")):
            api = scope["path"].startswith("/api/")
            return JSONResponse(
                {"error": "missing or wrong API key"},
                401,
                headers=None if api else {"WWW-Authenticate": 'Basic realm="runcard"'},
            )
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self._max_body):
            return JSONResponse({"error": f"request body over {self._max_body:,} bytes"}, 413)
        if scope["method"] in READS:
            return None
        foreign = _foreign_origin(headers)
        if foreign:
            return JSONResponse({"error": f"write from another origin refused ({foreign})"}, 403)
        media_type = headers.get(b"content-type", b"").partition(b";")[0].strip().lower()
        if media_type != b"application/json":
            return JSONResponse({"error": "a write must have Content-Type: application/json"}, 415)
        return None

    def _authorized(self, header: bytes) -> bool:
        scheme, _, value = header.partition(b" ")
        if scheme.lower() == b"basic":
            try:
                value = base64.b64decode(value, validate=True).partition(b":")[2]
            except ValueError:
                return False
        elif scheme.lower() != b"bearer":
            return False
        found = False
        for key in self._keys:  # every key compared, in constant time each
            found |= hmac.compare_digest(value, key)
        return found


def _foreign_origin(headers: dict[bytes, bytes]) -> str | None:
    """What says the request comes from a page of another origin, or None."""
    site = headers.get(b"sec-fetch-site")
    if site is not None and site.lower() not in OWN_FETCH_SITES:
        return f"Sec-Fetch-Site: {site.decode('latin-1')}"
    origin = headers.get(b"origin")
    if origin is None:
        return None
    text = origin.decode("latin-1")
    host = headers.get(b"host", b"").decode("latin-1").lower()
    try:
        netloc = urlsplit(text).netloc.lower()
    except ValueError:
        netloc = ""
    return None if netloc and netloc == host else f"Origin: {text}"
