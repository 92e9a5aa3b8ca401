"""Debian's headless Chromium, driven by its own chromedriver through Selenium, and one demo page in it."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from tests.integration.stack import eventually

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Headless on a machine without a display or outside network: no sandbox (containers run as root), no GPU,
# nothing that phones home (QUIC, component updates, sync, background fetches) and would hang or log errors.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=900,700",
)


def require_chromium() -> None:
    """Skip, saying why, when Debian's chromium or its driver is not installed (`make test` installs both)."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: apt-get install chromium chromium-driver (make test does)")


class Browser:
    """One Chromium with a fresh profile of its own; quit() removes the profile."""

    def __init__(self, log_dir: Path, name: str) -> None:
        self.profile = tempfile.mkdtemp(prefix=f"chromium-{name}-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*FLAGS, f"--user-data-dir={self.profile}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # An explicit driver path and browser binary: Selenium Manager has nothing to look up or download.
        service = Service(executable_path=CHROMEDRIVER, log_output=str(log_dir / f"chromedriver-{name}.log"))
        self.driver = webdriver.Chrome(service=service, options=options)

    def quit(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


class DemoPage:
    """The demo page signed in as one user, operated through its visible controls as a person would."""

    def __init__(self, browser: Browser, url: str, user: int) -> None:
        self.driver = browser.driver
        self.user = user
        self.driver.get(url)
        self.sign_in()

    def sign_in(self) -> None:
        """Sign in as self.user; return once the first page is read and the stream requested."""
        self.type_into("user-id", str(self.user))
        self.click("#sign-in button[type=submit]")
        eventually(self.is_live, timeout_s=30)

    def sign_out(self) -> None:
        self.click("#sign-out")
        eventually(lambda: self.find("#sign-in").is_displayed(), timeout_s=5)

    def find(self, selector: str):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def type_into(self, element_id: str, text: str) -> None:
        field = self.find(f"#{element_id}")
        field.clear()
        field.send_keys(text)

    def click(self, selector: str) -> None:
        self.find(selector).click()

    def is_live(self) -> bool:
        """The page's WatchHomeTimeline stream is open."""
        return self.find("#live").get_attribute("data-state") == "live"

    def post(self, text: str) -> float:
        """Write and send a post; return time.monotonic() at the click."""
        self.type_into("post-text", text)
        clicked = time.monotonic()
        self.click("#compose button[type=submit]")
        return clicked

    def delete(self, text: str) -> None:
        """Click the Delete button of the post showing text."""
        script = """return [...document.querySelectorAll('#timeline .post')]
            .find(post => post.querySelector('.text').textContent === arguments[0]).querySelector('.delete')"""
        self.driver.execute_script(script, text).click()

    def follow(self, user: int) -> None:
        self.type_into("followee-id", str(user))
        self.click("#follow-button")
        eventually(lambda: f"following user {user}" in self.find("#status").text, timeout_s=10)

    def unfollow(self, user: int) -> None:
        self.type_into("followee-id", str(user))
        self.click("#unfollow-button")
        eventually(lambda: f"unfollowed user {user}" in self.find("#status").text, timeout_s=10)

    def post_ids(self) -> list[int]:
        """The ids of the posts shown, top first."""
        script = "return [...document.querySelectorAll('#timeline .post')].map(e => e.dataset.postId)"
        return [int(post_id) for post_id in self.driver.execute_script(script)]

    def author_ids(self) -> set[int]:
        script = "return [...document.querySelectorAll('#timeline .post')].map(e => e.dataset.authorId)"
        return {int(author_id) for author_id in self.driver.execute_script(script)}

    def load_all(self) -> None:
        """Click "Load more" until it goes away, each time waiting for the page it asked for."""
        more = self.find("#load-more")
        for _ in range(100):
            if not more.is_displayed():
                return
            shown = len(self.post_ids())
            more.click()
            eventually(lambda shown=shown: len(self.post_ids()) > shown or not more.is_displayed(), timeout_s=10)
        raise AssertionError("load more did not end")

    def timeline_texts(self) -> list[str]:
        """The texts of the posts shown, top first (one script: no round trip per post)."""
        script = "return [...document.querySelectorAll('#timeline .post .text')].map(e => e.textContent)"
        return self.driver.execute_script(script)

    def pill(self) -> str:
        """The "N new posts" pill's label, or "" while it is hidden."""
        pill = self.find("#new-posts")
        return pill.text if pill.is_displayed() else ""

    def scroll_to_bottom(self) -> None:
        self.driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")

    def scroll_y(self) -> float:
        return self.driver.execute_script("return window.scrollY")

    def mark_document(self) -> None:
        """Tag this document, so that a reload (a new document) can be told apart."""
        self.driver.execute_script("window.demoTestMark = 'still the same document'")

    def same_document(self) -> bool:
        return self.driver.execute_script("return window.demoTestMark") == "still the same document"

    def errors(self) -> list[str]:
        """Severe entries of the browser console since the last call (script errors, failed requests)."""
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]
