"""No telemetry, no CDN: on each of the pages of the built-in sample the browser asks nothing of any
host but the app's own (favicon, icons, fonts and Plotly assets included)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.helpers import PAGE_PATHS, goto, no_exception, open_page

pytestmark = pytest.mark.xdist_group("e2e")


def test_every_page_requests_only_the_app(context, server_url):
    own = urlsplit(server_url).netloc
    outside: list[str] = []

    def record(request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != own:
            outside.append(request.url)

    context.on("request", record)
    # Record every attempt, then stop it: the test must not depend on this machine being offline.
    context.route(lambda url: urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != own,
                  lambda route: route.abort())
    page = context.new_page()
    goto(page, server_url, PAGE_PATHS["Data"])
    no_exception(page)
    visited = ["Data"]
    for label in list(PAGE_PATHS)[1:]:
        open_page(page, label)
        no_exception(page)
        visited.append(label)
    page.wait_for_load_state("networkidle")
    assert visited == list(PAGE_PATHS)
    assert outside == []
    # The favicon is the app's own file (served under /media/), not a Material Symbols SVG.
    icon = page.evaluate("() => document.querySelector('link[rel~=\"icon\"]')?.href ?? ''")
    assert icon.startswith(server_url + "/media/") and icon.endswith(".png"), icon
