"""A small OpenID Connect provider for tests, on 127.0.0.1 in a thread: discovery, JWKS, authorize, token.

Tests steer it: ``user`` is who signs in at the provider, ``overrides`` replaces ID token claims
(``aud``, ``exp``, ``nonce``...), ``signing_key`` signs with another key (a forged token).

Given ``apple_key`` (the public half of the EC key a test made) it behaves as Sign in with Apple: the
authorization request must ask for ``response_mode=form_post``, and the answer is a page whose form
POSTs ``code``, ``state`` and, on a subject's first sign-in only, the ``user`` JSON with their name, to
the redirect URI; the token endpoint takes only ``client_secret_post`` with a client secret JWT signed
ES256 by that key; the ID token carries ``email_verified`` as the string ``"true"``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey

CLIENT_ID = "verso-test-client"
CLIENT_SECRET = "test-client-secret"
APPLE_TEAM_ID = "TEAM123456"
APPLE_KEY_ID = "KEY1234567"
APPLE_NAME = {"firstName": "Robin", "lastName": "Apfel"}
SIX_MONTHS = 15_777_000


class FakeProvider:
    def __init__(self, apple_key: ECKey | None = None) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.signing_key: RSAKey | None = None
        self.apple_key = apple_key
        self.user: dict[str, Any] = {"sub": "subject-1", "email": "pat@example.com", "email_verified": True}
        if apple_key is not None:
            self.user["email_verified"] = "true"
        self.overrides: dict[str, Any] = {}
        self.codes: dict[str, dict[str, str]] = {}
        self.token_requests: list[dict[str, Any]] = []
        self.named: set[str] = set()  # Apple shares the name once per subject
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def discovery(self) -> dict[str, Any]:
        apple = self.apple_key is not None
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": (
                ["client_secret_post"] if apple else ["client_secret_basic", "client_secret_post"]
            ),
        }

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": nonce}
        claims |= self.user | self.overrides
        key = self.signing_key or self.key
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)

    def authorize(self, query: dict[str, str]) -> tuple[str, dict[str, str]]:
        """Approve the request: (redirect URI, the answer's parameters)."""
        assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
        assert query["code_challenge_method"] == "S256" and "openid" in query["scope"].split()
        code = secrets.token_urlsafe(16)
        self.codes[code] = query
        answer = {"code": code, "state": query["state"]}
        if self.apple_key is not None:
            assert query.get("response_mode") == "form_post", "Apple needs form_post for name and email"
            if "name" in query["scope"].split() and self.user["sub"] not in self.named:
                self.named.add(self.user["sub"])
                answer["user"] = json.dumps({"name": APPLE_NAME, "email": self.user["email"]})
        return query["redirect_uri"], answer

    def client_ok(self, authorization: str | None, form: dict[str, str]) -> bool:
        """client_secret_basic with the static secret; for Apple, client_secret_post with a valid JWT."""
        if self.apple_key is None:
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            return authorization == expected
        if authorization or form.get("client_id") != CLIENT_ID or not form.get("client_secret"):
            return False
        try:
            token = jwt.decode(form["client_secret"], self.apple_key, algorithms=["ES256"])
        except (JoseError, ValueError):
            return False
        claims, now = token.claims, time.time()
        return (
            token.header.get("kid") == APPLE_KEY_ID
            and claims.get("iss") == APPLE_TEAM_ID
            and claims.get("sub") == CLIENT_ID
            and claims.get("aud") == "https://appleid.apple.com"
            and isinstance(claims.get("exp"), int)
            and isinstance(claims.get("iat"), int)
            and claims["iat"] - 60 <= now < claims["exp"] <= claims["iat"] + SIX_MONTHS
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, content_type: str, data: bytes, **headers: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _json(self, status: int, body: Any) -> None:
                self._send(status, "application/json", json.dumps(body).encode())

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    return self._json(200, provider.discovery())
                if url.path == "/jwks":
                    return self._json(200, KeySet([provider.key]).as_dict(private=False))
                if url.path == "/authorize":
                    back, answer = provider.authorize({k: v[0] for k, v in parse_qs(url.query).items()})
                    if provider.apple_key is None:
                        return self._send(302, "text/plain", b"", Location=f"{back}?{urlencode(answer)}")
                    return self._send(200, "text/html; charset=utf-8", form_post_page(back, answer))
                return self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                if urlsplit(self.path).path != "/token":
                    return self._json(404, {"error": "not_found"})
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                provider.token_requests.append(form)
                if not provider.client_ok(self.headers.get("Authorization"), form):
                    return self._json(401, {"error": "invalid_client"})
                request = provider.codes.pop(form.get("code", ""), None)
                if request is None or form.get("redirect_uri") != request["redirect_uri"]:
                    return self._json(400, {"error": "invalid_grant"})
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != request["code_challenge"]:
                    return self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
                token = provider.id_token(request["nonce"])
                return self._json(200, {"access_token": "at", "token_type": "Bearer", "id_token": token})

        return Handler


def form_post_page(action: str, fields: dict[str, str]) -> bytes:
    """The answer as ``response_mode=form_post``: a form that submits itself to the redirect URI."""
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in fields.items()
    )
    page = (
        '<!doctype html><html><body onload="document.forms[0].submit()">'
        f'<form method="post" action="{html.escape(action)}">{inputs}<noscript><button>Continue</button>'
        "</noscript></form></body></html>"
    )
    return page.encode()
