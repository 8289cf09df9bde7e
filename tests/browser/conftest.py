"""The built notes site, served on 127.0.0.1, and a headless Chromium to look at it.

The site is built once per session from the generated files in the repository (the note scripts are not run
here). The browser is Debian's `chromium` driven by Playwright's Python client; the browser tests skip, with
the reason, only when chromium is missing.
"""

from __future__ import annotations

import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bilingual_lm.notes.build import build_site

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> tuple[Path, object]:
    """`mkdocs build --strict` into a temporary folder: (site folder, the finished process)."""
    site = tmp_path_factory.mktemp("site")
    return site, build_site(ROOT, site)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:  # noqa: A002  (the base class's name)
        pass


@pytest.fixture(scope="session")
def site_url(built_site) -> str:
    """The built site served over HTTP on a free port of 127.0.0.1, for the session."""
    site, done = built_site
    if done.returncode:
        pytest.fail(f"mkdocs build --strict failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium through Playwright (never a downloaded browser)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright  # a test dependency: with chromium there, it must be too

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def is_expected_miss(url: str) -> bool:
    """Material's language switcher probes `sitemap.xml` beside each alternate page (mkdocs-material#6582);
    the sitemap lives only at each language's root, so those probes 404 by design and change nothing."""
    return url.endswith("/sitemap.xml")


@pytest.fixture
def page(browser):
    """A fresh page that records JavaScript errors, failed requests and HTTP errors in `page.errors`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(f"page error: {error}"))
    page.on("console", lambda message: message.type == "error" and not message.text.startswith(
        "Failed to load resource") and page.errors.append(f"console: {message.text}"))
    page.on("requestfailed", lambda request: page.errors.append(f"request failed: {request.url}"))
    page.on("response", lambda response: response.status >= 400 and not is_expected_miss(response.url)
            and page.errors.append(f"HTTP {response.status}: {response.url}"))
    yield page
    context.close()
