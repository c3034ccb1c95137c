"""The chat page in headless Chromium (Playwright, sync API).

Two servers, each started once for this module: a fast one (the fixture corpus, the hashing
embedder, uvicorn in a thread) for the page's mechanics, and `iqtibas serve` with the real
model over the seed article for the answers themselves (marked slow). One browser serves
the whole session; each test gets a fresh page. Screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from index.answerer import Answerer
from index.corpus import Corpus, CorpusConfig
from service.app import create_app
from tests.conftest import PROJECT_ROOT, SEED_ID, HashingEmbedder, load_fixture_articles
from tests.service.browser_support import (
    CHROMIUM_ARGS,
    PageWatch,
    chromium_path,
    screenshot,
    serve_in_process,
    serve_in_thread,
)
from tests.service.conftest import AUTH, READ_KEY, WRITE_KEY, make_settings

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

EN_CEASEFIRE = "Who proposed a 30-day ceasefire?"
AR_CEASEFIRE = "من اقترح وقف إطلاق النار لمدة 30 يومًا؟"
CEASEFIRE_EVIDENCE = "وقف إطلاق النار لمدة 30 يومًا"
WEATHER_SENTENCE = "أعلنت هيئة الأرصاد الجوية المصرية أن درجات الحرارة في القاهرة ستصل إلى 43 درجة مئوية يوم الخميس."
SPACE_QUESTION = "space probe entered orbit around Jupiter on Tuesday"
ABSENT_FAST = "lattice quantum chromodynamics renormalisation"
XSS = "<img src=x onerror=alert(1)>"
TIMEOUT_MS = 60_000
STATIC = PROJECT_ROOT / "service" / "static"

# --- servers and browser ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def fast_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The fixture corpus behind the real app, with the hashing embedder: no model to load."""
    directory = tmp_path_factory.mktemp("chat-page-fast")
    corpus = Corpus(directory / "index", HashingEmbedder(), CorpusConfig())
    corpus.add(load_fixture_articles())
    app = create_app(make_settings(directory), answerer=Answerer(corpus))
    try:
        with serve_in_thread(app) as base_url:
            yield base_url
    finally:
        corpus.close()


@pytest.fixture(scope="module")
def real_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`iqtibas serve` with the real model; a new, empty data dir is seeded at start."""
    directory = tmp_path_factory.mktemp("chat-page-real")
    with serve_in_process(
        directory / "index", directory / "server.log", {"IQTIBAS_API_KEY": WRITE_KEY}
    ) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open(browser: Any, base_url: str) -> Iterator[tuple[Any, PageWatch]]:
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": 1000, "height": 800},
        locale="en-US",
        color_scheme="light",
        reduced_motion="reduce",
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch(base_url)
    watch.attach(page)
    page.goto("/")
    expect(page.locator("#index-status")).to_have_attribute("data-state", "ready")
    try:
        yield page, watch
    finally:
        context.close()


@pytest.fixture
def fast_page(browser: Any, fast_server: str) -> Iterator[tuple[Any, PageWatch]]:
    yield from _open(browser, fast_server)


@pytest.fixture
def real_page(browser: Any, real_server: str) -> Iterator[tuple[Any, PageWatch]]:
    yield from _open(browser, real_server)


# --- helpers ---------------------------------------------------------------------------------


def ask(page: Any, question: str) -> Any:
    """Types the question, presses Enter, waits for the answer; returns the new turn."""
    before = page.locator("#turns > li").count()
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    turn = page.locator("#turns > li").nth(before)
    expect(turn.locator("section.answer")).to_have_attribute("aria-busy", "false")
    return turn


def direction(locator: Any) -> str:
    return str(locator.evaluate("element => getComputedStyle(element).direction"))


def first_card(turn: Any) -> Any:
    return turn.locator("article.quote-card").first


def ingest(base_url: str, *documents: dict[str, Any]) -> None:
    response = httpx.post(
        f"{base_url}/documents", json={"documents": list(documents)}, headers=AUTH, timeout=120
    )
    assert response.status_code == 200, response.text


# --- the page and its server -------------------------------------------------------------------


def test_the_page_is_served_with_a_strict_policy_and_only_local_assets(
    fast_page: tuple[Any, PageWatch], fast_server: str
) -> None:
    page, watch = fast_page
    response = httpx.get(f"{fast_server}/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    # every asset the page names is shipped and served from the app itself
    for asset in ("static/app.js", "static/text.js", "static/style.css", "static/favicon.svg"):
        assert httpx.get(f"{fast_server}/{asset}").status_code == 200, asset

    # English chrome, left to right; no direction forced on the content
    assert page.evaluate("document.documentElement.lang") == "en"
    assert direction(page.locator("html")) == "ltr"
    assert page.locator("body").get_attribute("dir") is None
    assert page.get_by_label("Your question").evaluate("e => e.tagName") == "TEXTAREA"
    assert page.get_by_label("Your question").get_attribute("dir") == "auto"
    assert page.locator("#announcer").get_attribute("aria-live") == "polite"
    fonts = page.evaluate("getComputedStyle(document.querySelector('.brand-ar')).fontFamily")
    assert fonts.startswith('"Noto Naskh Arabic", "Noto Sans Arabic"') and "DejaVu Sans" in fonts
    watch.check()


def test_the_page_ships_no_inline_code_remote_assets_or_html_sinks() -> None:
    """A static check that backs the browser tests: article and question text can only ever
    reach the page as text, and the page needs nothing from the network."""
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\ssrc=)", html), "inline script"
    assert not re.search(r"\sstyle=|<style", html), "inline style"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    for path in STATIC.iterdir():
        if path.suffix in {".html", ".css", ".js"}:
            source = path.read_text(encoding="utf-8")
            assert "://" not in source, f"{path.name} names a remote resource"
            assert "@import" not in source and "@font-face" not in source, path.name
    for path in STATIC.glob("*.js"):
        source = path.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, f"{path.name} uses {sink}"


def test_enter_sends_shift_enter_adds_a_line_and_history_stays(
    fast_page: tuple[Any, PageWatch],
) -> None:
    page, watch = fast_page
    box = page.get_by_label("Your question")
    box.click()
    page.keyboard.type("space probe entered orbit")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("around Jupiter on Tuesday")
    assert box.input_value() == "space probe entered orbit\naround Jupiter on Tuesday"
    assert page.locator("#turns > li").count() == 0, "Shift+Enter must not send"
    page.keyboard.press("Enter")
    first = page.locator("#turns > li").first
    expect(first.locator(".question-text")).to_have_text(
        "space probe entered orbit\naround Jupiter on Tuesday"
    )
    expect(first.locator("section.answer")).to_have_attribute("aria-busy", "false")
    assert box.input_value() == ""
    card = first_card(first)
    expect(card.locator("mark")).to_contain_text("A European space probe entered orbit")
    assert direction(card.locator("blockquote p").first) == "ltr"

    # Tab from the question reaches Send; Enter on it sends
    box.fill(WEATHER_SENTENCE)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "send"
    page.keyboard.press("Enter")
    second = page.locator("#turns > li").nth(1)
    expect(second.locator("section.answer")).to_have_attribute("aria-busy", "false")
    card = first_card(second)
    expect(card.locator("mark")).to_have_text(WEATHER_SENTENCE)
    assert direction(card.locator("mark")) == "rtl"
    assert direction(second.locator(".question-text")) == "rtl"
    expect(page.locator("#announcer")).to_contain_text("Best quote, from موجة حر في القاهرة")
    # the earlier answer is still there
    assert page.locator("#turns > li").count() == 2
    expect(first_card(first).locator("mark")).to_contain_text("space probe")
    watch.check()


def test_a_loading_indicator_shows_until_the_answer_arrives(
    fast_page: tuple[Any, PageWatch],
) -> None:
    page, watch = fast_page
    held: list[Any] = []
    # the request waits until the test lets it through
    page.route("**/ask", lambda route: held.append(route))
    box = page.get_by_label("Your question")
    box.fill(WEATHER_SENTENCE)
    box.press("Enter")
    turn = page.locator("#turns > li").first
    expect(turn.locator(".loading")).to_have_text("Searching the sources…")
    expect(turn.locator("section.answer")).to_have_attribute("aria-busy", "true")
    expect(page.locator("#announcer")).to_have_text("Searching the sources…")
    for _ in range(200):  # the route handler runs while Playwright handles events
        if held:
            break
        page.wait_for_timeout(25)
    assert len(held) == 1
    held[0].continue_()
    expect(first_card(turn).locator("mark")).to_have_text(WEATHER_SENTENCE)
    expect(turn.locator(".loading")).to_have_count(0)
    expect(turn.locator("section.answer")).to_have_attribute("aria-busy", "false")
    watch.check()


def test_copy_open_article_and_escape_by_keyboard(fast_page: tuple[Any, PageWatch]) -> None:
    page, watch = fast_page
    turn = ask(page, WEATHER_SENTENCE)
    card = first_card(turn)
    copy = card.locator("button.copy")
    page.locator(".tagline").click()  # sequential navigation starts after the header
    page.keyboard.press("Tab")
    assert copy.evaluate("e => e === document.activeElement")
    page.keyboard.press("Enter")
    expect(copy).to_have_text("Copied")
    clipboard = page.evaluate("navigator.clipboard.readText()")
    assert clipboard.splitlines() == [
        f"«{WEATHER_SENTENCE}»",
        "موجة حر في القاهرة",
        f"doc ar-weather, characters 0-{len(WEATHER_SENTENCE)}",
    ]

    page.keyboard.press("Tab")
    open_button = card.get_by_role("button", name="Open article")
    assert open_button.evaluate("e => e === document.activeElement")
    page.keyboard.press("Enter")
    dialog = page.locator("#article-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("mark")).to_have_text(WEATHER_SENTENCE)
    expect(dialog.locator("#article-title")).to_have_text("موجة حر في القاهرة")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert open_button.evaluate("e => e === document.activeElement"), "focus returns to the opener"
    watch.check()


def test_offsets_count_code_points_like_the_api(
    fast_page: tuple[Any, PageWatch], fast_server: str
) -> None:
    """Characters outside the BMP are one offset for the API, two UTF-16 units in JavaScript."""
    sentence = "The harbour festival drew record crowds of sailors and their families on Friday."
    text = f"🎉🎉 Boats 🚤 everywhere.\n{sentence}\nThe next one is in May."
    ingest(fast_server, {"id": "en-emoji", "title": "Festival 🎉", "lang": "en", "text": text})
    page, watch = fast_page
    card = first_card(ask(page, sentence))
    assert card.get_attribute("data-doc-id") == "en-emoji"
    expect(card.locator("mark")).to_have_text(sentence)
    card.get_by_role("button", name="Open article").click()
    expect(page.locator("#article-dialog mark")).to_have_text(sentence)
    page.keyboard.press("Escape")
    watch.check()


def test_a_question_the_sources_do_not_answer_lists_related_reading(
    fast_page: tuple[Any, PageWatch],
) -> None:
    page, watch = fast_page
    turn = ask(page, ABSENT_FAST)
    answer = turn.locator("section.answer")
    expect(answer).to_have_attribute("data-answerable", "false")
    expect(answer.locator(".notice")).to_contain_text("The sources do not answer this.")
    expect(answer.get_by_role("heading", name="Related reading")).to_be_visible()
    assert answer.locator("article.quote-card--related").count() >= 1
    expect(page.locator("#announcer")).to_contain_text("The sources do not answer this.")
    watch.check()


def test_api_errors_and_network_failures_are_shown(fast_page: tuple[Any, PageWatch]) -> None:
    page, watch = fast_page

    def fail(status: int, code: str, message: str, headers: dict[str, str]) -> Any:
        def handler(route: Any) -> None:
            route.fulfill(
                status=status,
                content_type="application/json",
                headers={"X-Request-ID": f"pw-{status}", **headers},
                body=json.dumps({"error": {"code": code, "message": message}}),
            )

        return handler

    page.route(
        "**/ask", fail(500, "internal_error", "an unexpected error occurred on the server", {})
    )
    turn = ask(page, "Who proposed a 30-day ceasefire?")
    box = turn.locator(".error-box")
    expect(box).to_contain_text("The service could not answer")
    expect(box).to_contain_text("an unexpected error occurred on the server")
    expect(box).to_contain_text("HTTP 500 · internal_error · request pw-500")
    expect(page.locator("#announcer")).to_contain_text("an unexpected error occurred")
    page.unroute("**/ask")

    page.route(
        "**/ask",
        fail(429, "rate_limited", "too many requests: slow down", {"Retry-After": "7"}),
    )
    turn = ask(page, AR_CEASEFIRE)
    expect(turn.locator(".error-box")).to_contain_text("Too many questions at once")
    expect(turn.locator(".error-box")).to_contain_text("Try again in 7 seconds.")
    page.unroute("**/ask")

    page.route("**/ask", lambda route: route.abort("connectionrefused"))
    turn = ask(page, WEATHER_SENTENCE)
    expect(turn.locator(".error-box")).to_contain_text("Could not reach the service")
    expect(turn.locator(".error-box")).to_contain_text("did not reach the Iqtibas service")
    page.locator("#intro").evaluate("e => e.scrollIntoView()")
    screenshot(page, "api-error.png")

    # the failed question can be asked again once the service is back
    page.unroute("**/ask")
    turn.get_by_role("button", name="Try again").click()
    expect(first_card(turn).locator("mark")).to_have_text(WEATHER_SENTENCE)
    # the earlier errors stay in the history
    assert page.locator("#turns .error-box").count() == 2
    assert not watch.page_errors, watch.page_errors


def test_an_article_that_vanished_is_an_error_in_the_article_view(
    fast_page: tuple[Any, PageWatch], fast_server: str
) -> None:
    page, watch = fast_page
    ingest(
        fast_server, {"id": "en-gone", "title": "Gone", "text": "The gone article says goodbye."}
    )
    card = first_card(ask(page, "The gone article says goodbye."))
    assert card.get_attribute("data-doc-id") == "en-gone"
    assert httpx.delete(f"{fast_server}/documents/en-gone", headers=AUTH).status_code == 200
    card.get_by_role("button", name="Open article").click()
    expect(page.locator("#article-dialog .error-box")).to_contain_text(
        "This article is no longer in the index."
    )
    page.keyboard.press("Escape")
    expect(page.locator("#article-dialog")).to_be_hidden()
    assert not watch.page_errors, watch.page_errors


# --- the real model over the seed article ----------------------------------------------------------


def ask_seed_question(page: Any, question: str) -> tuple[Any, dict[str, Any]]:
    """Asks over the real API; checks that the first card is the API's first quote, holds the
    evidence sentence and reads right to left. Whether it counts as an answer depends on the
    calibrated abstention threshold, which the page does not decide: either way the first card
    holds the evidence (as the answer or as the nearest passage), and the page says which."""
    with page.expect_response(lambda r: r.url.endswith("/ask")) as response:
        turn = ask(page, question)
    answer = response.value.json()
    quote = answer["quotes"][0]
    expect(turn.locator("section.answer")).to_have_attribute(
        "data-answerable", str(answer["answerable"]).lower()
    )
    if not answer["answerable"]:
        warnings.warn(
            f"{question!r} was not answerable at the configured threshold (top score "
            f"{quote['score']}): the page shows the evidence as related reading",
            stacklevel=2,
        )
    card = first_card(turn)
    assert card.get_attribute("data-doc-id") == SEED_ID == quote["doc_id"]
    mark = card.locator("mark")
    assert CEASEFIRE_EVIDENCE in quote["text"]
    assert mark.text_content() == quote["text"]
    assert direction(mark) == "rtl"
    assert direction(card.locator("blockquote p.has-mark")) == "rtl"
    assert direction(card.locator("h3")) == "rtl"
    assert direction(card.locator(".citation")) == "ltr"
    expect(card.locator(".citation")).to_have_text(
        f"doc {SEED_ID} · characters {quote['start']}–{quote['end']}"
    )
    return turn, answer


@pytest.mark.slow
def test_english_question_quotes_the_evidence_right_to_left(
    real_page: tuple[Any, PageWatch],
) -> None:
    page, watch = real_page
    turn, _ = ask_seed_question(page, EN_CEASEFIRE)
    assert direction(turn.locator(".question-text")) == "ltr"
    expect(page.locator("#announcer")).to_contain_text(CEASEFIRE_EVIDENCE)
    screenshot(page, "english-answer.png")
    watch.check()


@pytest.mark.slow
def test_arabic_question_quotes_the_evidence_right_to_left(
    real_page: tuple[Any, PageWatch],
) -> None:
    page, watch = real_page
    turn, _ = ask_seed_question(page, AR_CEASEFIRE)
    assert direction(turn.locator(".question-text")) == "rtl"
    screenshot(page, "arabic-answer.png")
    watch.check()


@pytest.mark.slow
def test_the_article_view_highlights_the_quote_in_view(
    real_page: tuple[Any, PageWatch], real_server: str
) -> None:
    page, watch = real_page
    turn, answer = ask_seed_question(page, EN_CEASEFIRE)
    card = first_card(turn)
    quote = answer["quotes"][0]["text"]
    article = httpx.get(f"{real_server}/documents/{SEED_ID}").json()
    card.get_by_role("button", name="Open article").click()
    dialog = page.locator("#article-dialog")
    expect(dialog).to_be_visible()
    mark = dialog.locator("mark")
    expect(mark).to_have_count(1)
    expect(mark).to_have_text(quote)
    assert mark.text_content() == quote
    expect(mark).to_be_in_viewport()
    assert direction(mark) == "rtl"
    expect(dialog.locator("#article-title")).to_have_text(article["title"])
    text = dialog.locator("#article-text")
    assert text.inner_text().replace("\n", "") == article["text"].replace("\n", "")
    if article.get("summary"):
        summary = dialog.locator("#article-summary-text").text_content() or ""
        assert summary == article["summary"].replace("\n", "")
    body = dialog.locator("#article-body")
    # the quote is far into the article: the body was scrolled to bring it into view
    assert body.evaluate("e => e.scrollTop") > 0
    screenshot(page, "article-view.png", full_page=False)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    watch.check()


@pytest.mark.slow
def test_markup_in_an_article_is_shown_as_text_and_never_runs(
    real_page: tuple[Any, PageWatch], real_server: str
) -> None:
    title = f"وسم {XSS} في خبر عن القمح"
    sentence = f"ونشر الموقع الوسم {XSS} في تعليق على ارتفاع أسعار القمح في مصر."
    ingest(
        real_server,
        {
            "id": "xss-wheat",
            "title": title,
            "lang": "ar",
            "text": "ارتفعت أسعار القمح في مصر هذا الأسبوع.\n" + sentence,
        },
    )
    page, watch = real_page
    turn = ask(page, f"What did the site post about wheat prices in Egypt? {XSS}")
    expect(turn.locator(".question-text")).to_contain_text(XSS)
    card = turn.locator("article.quote-card[data-doc-id='xss-wheat']").first
    expect(card.locator("h3")).to_have_text(title)
    expect(card.locator("blockquote")).to_contain_text(XSS)
    card.get_by_role("button", name="Open article").click()
    dialog = page.locator("#article-dialog")
    expect(dialog.locator("#article-text")).to_contain_text(sentence)
    expect(dialog.locator("#article-title")).to_have_text(title)
    page.keyboard.press("Escape")
    expect(card.get_by_text(XSS).first).to_be_visible()
    assert page.locator("img").count() == 0, "no element was made from the article's markup"
    assert page.evaluate("document.querySelectorAll('[onerror]').length") == 0
    assert watch.dialogs == [], watch.dialogs
    assert not [url for url in watch.requests if url.rstrip("/").endswith("/x")]
    screenshot(page, "xss-as-text.png")
    watch.check()


@pytest.mark.slow
def test_a_question_about_something_absent_is_not_answered(
    real_page: tuple[Any, PageWatch],
) -> None:
    page, watch = real_page
    turn = ask(page, "What is the population of Tokyo?")
    answer = turn.locator("section.answer")
    expect(answer).to_have_attribute("data-answerable", "false")
    expect(answer.locator(".notice")).to_contain_text("The sources do not answer this.")
    expect(answer.get_by_role("heading", name="Related reading")).to_be_visible()
    related = answer.locator("article.quote-card--related")
    assert related.count() >= 1
    assert direction(related.first.locator("mark")) == "rtl"
    screenshot(page, "unanswerable.png")
    watch.check()


# --- a server with a read key, and the API docs ----------------------------------------------


@pytest.fixture(scope="module")
def read_key_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The fast server, but reads need IQTIBAS_READ_API_KEY."""
    directory = tmp_path_factory.mktemp("chat-page-read-key")
    corpus = Corpus(directory / "index", HashingEmbedder(), CorpusConfig())
    corpus.add(load_fixture_articles())
    app = create_app(make_settings(directory, read_api_key=READ_KEY), answerer=Answerer(corpus))
    try:
        with serve_in_thread(app) as base_url:
            yield base_url
    finally:
        corpus.close()


def test_with_a_read_key_the_page_asks_for_it_once_and_sends_it(
    browser: Any, read_key_server: str
) -> None:
    opened = _open(browser, read_key_server)
    page, watch = next(opened)
    try:
        sent: list[str | None] = []
        page.on(
            "request",
            lambda request: (
                sent.append(request.headers.get("authorization"))
                if request.url.endswith("/ask")
                else None
            ),
        )
        key_form = page.locator("#key-form")
        expect(key_form).to_be_hidden()

        # without a key: a clear message, and the page asks for the key
        turn = ask(page, "space probe entered orbit")
        expect(turn.locator(".error-title")).to_have_text("An access key is needed")
        expect(key_form).to_be_visible()
        expect(page.locator("#key-message")).to_contain_text("needs an access key")
        expect(page.get_by_label("Access key")).to_be_focused()

        # a wrong key is refused and asked for again
        page.get_by_label("Access key").fill("not-the-key")
        page.get_by_role("button", name="Use this key").click()
        expect(key_form).to_be_hidden()
        turn = ask(page, "space probe entered orbit")
        expect(page.locator("#key-message")).to_contain_text("was not accepted")
        assert sent[-1] == "Bearer not-the-key"

        # the right key answers, from Try again and from then on
        page.get_by_label("Access key").fill(READ_KEY)
        page.get_by_label("Access key").press("Enter")
        expect(key_form).to_be_hidden()
        turn.get_by_role("button", name="Try again").click()
        expect(first_card(turn).locator("mark")).to_contain_text("space probe")
        assert sent[-1] == f"Bearer {READ_KEY}"
        assert page.evaluate("sessionStorage.getItem('iqtibas.accessKey')") == READ_KEY
        assert page.evaluate("localStorage.length") == 0

        # kept for the tab: a reload asks nothing
        page.reload()
        turn = ask(page, "space probe entered orbit")
        expect(first_card(turn).locator("mark")).to_contain_text("space probe")
        expect(key_form).to_be_hidden()
        watch.check()
    finally:
        opened.close()


def test_the_api_docs_work_offline_under_the_strict_policy(browser: Any, fast_server: str) -> None:
    response = httpx.get(f"{fast_server}/docs")
    policy = response.headers["content-security-policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert "://" not in response.text
    context = browser.new_context(base_url=fast_server)
    try:
        page = context.new_page()
        watch = PageWatch(fast_server)
        watch.attach(page)
        # nothing outside the app can load: a page that needed a CDN would stay empty
        context.route(
            re.compile(r"^(?!" + re.escape(fast_server) + ")"), lambda route: route.abort()
        )
        page.goto("/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Iqtibas", timeout=30_000)
        expect(page.locator(".opblock-summary-path").first).to_be_visible()
        expect(page.get_by_text("/ask", exact=True).first).to_be_visible()
        watch.check()
    finally:
        context.close()
