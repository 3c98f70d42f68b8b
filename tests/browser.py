"""What every browser test shares: Debian's Chromium, required in CI, skipped (with the reason) elsewhere."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def require_chromium() -> None:
    """Call at module level: CI sets CLEARINGHOUSE_REQUIRE_BROWSER=True, so a missing browser fails there."""
    if Path(CHROMIUM).exists():
        # Playwright's sync API runs an event loop in the test thread; the ORM calls stay synchronous.
        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        return
    if os.environ.get("CLEARINGHOUSE_REQUIRE_BROWSER") == "True":
        raise RuntimeError(f"{CHROMIUM} is missing but CLEARINGHOUSE_REQUIRE_BROWSER=True: install chromium")
    pytest.skip(
        f"{CHROMIUM} is not installed (`make test` installs it when run as root)", allow_module_level=True
    )


def totp_code(key: bytes, *, after_step: int = -1, drift: int = 0) -> str:
    """The authenticator code for `key` that the server accepts now: a later time step than `after_step`
    (the last one used: a code is never accepted twice), within the one-step tolerance."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(key, step=30, t0=0, digits=6)
    now_step = totp.t()
    step = max(now_step, after_step + 1)
    if step - (now_step + drift) > 1:
        time.sleep(30 - time.time() % 30 + 0.5)  # every usable code is spent: wait for the next step
        now_step = totp.t()
        step = max(now_step, after_step + 1)
    totp.drift = step - now_step
    return f"{totp.token():0{totp.digits}d}"


def complete_second_factor(page: object, username: str) -> None:
    """After the password step of a sign-in: answer the second step if the page asks for one, enrolling
    the authenticator first when the account has none (as a person with an authenticator app would).

    Waits are polled from Python: the pages' Content-Security-Policy forbids the string evaluation
    that `wait_for_function("…")` relies on."""
    import base64
    import time
    from urllib.parse import urlparse

    from django_otp.plugins.otp_totp.models import TOTPDevice

    p: Any = page

    def path() -> str:
        return str(urlparse(p.url).path)

    deadline = time.monotonic() + 30
    while not (path().startswith("/login/second-step/") or not path().startswith("/login/")):
        if p.locator("#login-error").count() or time.monotonic() > deadline:
            return  # the password step failed: nothing to answer (the caller checks the page)
        p.wait_for_timeout(100)
    if not path().startswith("/login/second-step/"):
        return
    p.wait_for_selector("#id_code")
    if p.locator("#mfa-secret").count():
        secret = p.inner_text("#mfa-secret").strip()
        key = base64.b32decode(secret + "=" * (-len(secret) % 8))
        p.fill("#id_code", totp_code(key))
        p.click("main button[type=submit]")
        p.wait_for_selector("#recovery-continue")
        p.click("#recovery-continue")
    else:
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        p.fill("#id_code", totp_code(device.bin_key, after_step=device.last_t, drift=device.drift))
        p.click("main button[type=submit]")
    p.wait_for_url(lambda url: not urlparse(url).path.startswith("/login/"))


def sign_in(page: object, live_server: Any, username: str, password: str | None = None) -> None:
    """Sign in through the login page as a person would: the password step, then the second step when
    the account's role asks for one (enrolling the authenticator the first time). `password` defaults
    to the personas' shared password; a wrong one leaves the page on the login form."""
    from conftest import PASSWORD

    p: Any = page
    p.goto(f"{live_server.url}/login/")
    p.fill("#id_username", username)
    p.fill("#id_password", PASSWORD if password is None else password)
    p.click("main button[type=submit]")
    complete_second_factor(p, username)


def wait_until(page: object, expression: str, timeout: float = 15.0) -> None:
    """Poll a JavaScript expression until it is true. `page.wait_for_function("…")` evaluates the string
    inside the page, which its Content-Security-Policy (no `unsafe-eval`) refuses; `evaluate` does not."""
    import time

    p: Any = page
    deadline = time.monotonic() + timeout
    while not p.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        p.wait_for_timeout(100)
