"""The operator console (issue 21) in a real browser: Debian's Chromium, headless, driven by Playwright.

One browser per test process, a fresh context (so a fresh sessionStorage) and page per test. Each view is driven as
an operator would on the local stack (`make run`), signed in as its demo operator, and saved as a screenshot in
.local/artifacts/console/<view>.png. What the stack's data cannot show (a first sign-in's new password, an expired
token, an API error, every field hostile, exact totals and bar heights) is driven against a stand-in for the API and
Cognito (console_stub.py). Without /usr/bin/chromium the tests skip, outside CI only (.ci/run installs it)."""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from console_stub import ABA, HOSTILE, PASSWORD, TEMPORARY, USER, Stub, stub_server
from ops_support import billiecart_payment, caliq_payment, card_payment
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from conftest import LocalStack, local_stack_process
from paybridge_local import operators

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / ".local" / "artifacts" / "console"
# Flags that let Chromium start on a closed network: no background fetches, no component updates, no QUIC.
# Playwright gives each launch a fresh, empty user-data dir of its own.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI installs it")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def stub_session() -> Iterator[Stub]:
    with stub_server() as stub:
        yield stub


@pytest.fixture
def stub(stub_session: Stub) -> Stub:
    stub_session.reset()
    return stub_session


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page of its own; the test fails on any script error the page raised and anything its Content-Security-Policy
    refused."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []

    def refused(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            errors.append(message.text)

    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", refused)
    yield page
    context.close()
    assert errors == [], f"the page raised: {errors}"


def sign_in(page: Page, url: str, password: str = PASSWORD, user: str = USER) -> None:
    page.goto(url)
    page.fill("#login-form input[name=username]", user)
    page.fill("#login-form input[name=password]", password)
    page.click("#login-form button[type=submit]")


def signed_in(page: Page, stub: Stub, hash_: str = "") -> None:
    sign_in(page, stub.url)
    expect(page.locator("#nav")).to_be_visible()
    if hash_:
        page.goto(stub.url + hash_)


def shot(page: Page, view: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{view}.png"), full_page=True)


# ---- the views, on the local stack ----------------------------------------------------------------------------

TODAY = datetime.now(UTC).date().isoformat()
TOKEN = "sessionStorage.getItem('paybridge.ops.idToken')"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    """The local stack with retries a second apart (RETRY_BASE_SECONDS=1): the retry worker gives up on a payment
    whose gateway never answers within about half a minute."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RETRY_BASE_SECONDS", "1")
        with local_stack_process() as running:
            patch.undo()
            yield running


@pytest.fixture(scope="module")
def given_up(stack: LocalStack) -> str:
    """A card payment whose gateway never answers, made as the stack starts: by the time the dead letters' view is
    tested, the worker has made its last attempt and put its message on the retry dead-letter queue."""
    return str(card_payment(stack.url, "tok_timeout", "13.00")["payment_id"])


def console(page: Page, stack: LocalStack, hash_: str = "") -> str:
    """Signed in as the stack's demo operator, on the view `hash_`: the console's URL."""
    url = f"{stack.url}/ops/"
    sign_in(page, url, operators.OPERATOR_PASSWORD, operators.OPERATOR)
    expect(page.locator("#nav")).to_be_visible()
    if hash_:
        page.goto(url + hash_)
    return url


def letters() -> str:
    """A unique code of letters only: no run of digits in it can read as a card number (which Caliq refuses)."""
    return uuid.uuid4().hex.translate(str.maketrans("0123456789", "ghijklmnop"))[:12].upper()


def api(page: Page, path: str) -> Any:
    """What the console's API answers the signed-in page: the truth a view is checked against."""
    return page.evaluate(
        f"path => fetch('api/' + path, {{headers: {{Authorization: {TOKEN}}}}}).then(r => r.json())", path
    )


def until(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.5)
    return found


def test_search_finds_a_caliq_vendor_tx_code_and_opens_its_timeline(
    page: Page, stack: LocalStack, given_up: str
) -> None:
    # (given_up is made by the first test: the dead letters' view needs it half a minute later)
    # Given a Caliq payment its customer quotes by its VendorTXCode
    code = f"VTX-{letters()}"
    caliq_payment(stack.url, code)
    console(page, stack)

    # When the operator searches for the code
    page.fill("form.search input", code)
    page.click("form.search button")

    # Then the payment is listed with what matched, and a click opens its timeline
    row = page.locator("table.rows tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Caliq VendorTXCode")
    expect(row).to_contain_text("12.34 GBP")
    expect(row).to_contain_text("SUCCEEDED")
    shot(page, "search")
    row.click()
    expect(page.locator("#view h2")).to_contain_text("Payment ")
    expect(page.locator(".facts").first).to_contain_text(code)
    expect(page.locator(".timeline li").first).to_contain_text("RECEIVED")
    expect(page.locator(".timeline li").last).to_contain_text("SUCCEEDED")
    expect(page.get_by_text("invoice-5001-0")).to_be_visible()
    expect(page.locator("details.answer summary")).to_contain_text("caliq.MakePayment · 200")
    assert "paybridge.ops" not in page.url and page.evaluate(TOKEN) not in page.url


def test_the_timeline_retries_a_pending_payment_to_its_resolution(page: Page, stack: LocalStack) -> None:
    # Given a card payment the gateway left pending (its next status check finds it approved)
    pending = card_payment(stack.url, "tok_pending_clears", "11.00")
    console(page, stack, f"#/payment/demo/{pending['payment_id']}")
    expect(page.locator(".title .state")).to_have_text("PENDING")
    facts = page.locator(".facts").first
    for shown in ("demo", pending["payment_id"], "11.00 GBP", "sandbox"):
        expect(facts).to_contain_text(shown)

    # When the operator retries it
    page.click(".title button:has-text('Retry')")

    # Then the gateway's answer finished it: the outcome is shown, and the view refreshed
    expect(page.locator("#notice")).to_contain_text(f"Retry of {pending['payment_id']}: SUCCEEDED")
    expect(page.locator(".title .state")).to_have_text("SUCCEEDED")
    expect(page.locator(".timeline li").last).to_contain_text("SUCCEEDED")
    page.locator("details.answer summary").first.click()
    shot(page, "timeline")


def test_the_queues_list_stuck_and_pending_payments_with_their_age(page: Page, stack: LocalStack) -> None:
    # Given a payment stuck in PROCESSING (its gateway times out) and one left PENDING
    stuck = card_payment(stack.url, "tok_timeout", "14.00")["payment_id"]
    pending = card_payment(stack.url, "tok_pending_clears", "15.00")["payment_id"]
    console(page, stack, "#/queues/PROCESSING")

    # Then the stuck tab lists the stuck one with its age
    row = page.locator(f"tr:has-text('{stuck}')")
    expect(row).to_contain_text(re.compile(r"\d+ s"))
    shot(page, "queues")

    # The pending tab lists the pending one, and no longer with the filter at an hour
    page.click(".tabs a:has-text('Pending')")
    row = page.locator(f"tr:has-text('{pending}')")
    expect(row).to_contain_text("15.00 GBP")
    page.select_option("select[name=older_than]", "3600")
    expect(page.locator(f"tr:has-text('{pending}')")).to_have_count(0)
    page.select_option("select[name=older_than]", "0")

    # When the operator retries it from its row, it is resolved and leaves the list
    page.locator(f"tr:has-text('{pending}') button:has-text('Retry')").click()
    expect(page.locator("#notice")).to_contain_text(f"Retry of {pending}: SUCCEEDED")
    expect(page.locator(f"tr:has-text('{pending}')")).to_have_count(0)

    # A click on a row opens the payment's timeline
    page.click(".tabs a:has-text('Stuck')")
    page.locator(f"tr:has-text('{stuck}') td").first.click()
    expect(page.locator("#view h2")).to_contain_text(stuck)


def test_the_chart_shows_the_days_payments_by_state(page: Page, stack: LocalStack) -> None:
    caliq_payment(stack.url, f"VTX-{letters()}", "9.99")
    card_payment(stack.url, "tok_decline", "8.00")
    with page.expect_response(lambda response: "/api/chart" in response.url) as answered:
        console(page, stack, "#/chart")
    chart = page.locator("svg.chart")
    expect(chart).to_be_visible()

    # The bars and the legend are the counts the API answered the page, each hour's stack a bar per state
    data = answered.value.json()
    counts = {state: sum(series) for state, series in data["series"].items()}
    assert counts.get("SUCCEEDED", 0) >= 1 and counts.get("FAILED", 0) >= 1
    cells = sum(1 for series in data["series"].values() for n in series if n)
    expect(chart.locator("rect[data-state]")).to_have_count(cells)
    expect(chart.locator(".legend-item")).to_have_text([f"{s} ({n})" for s, n in counts.items()])
    expect(chart.locator(".axis-title")).to_have_text(["hour (UTC)", "payments"])
    expect(chart.locator("rect[data-state=SUCCEEDED]")).not_to_have_count(0)
    shot(page, "chart")


def test_settlement_shows_the_days_batches_and_downloads_the_checked_aba_file(
    page: Page, stack: LocalStack, tmp_path: Path
) -> None:
    # Given two Billiecart payments of harbour-health, settled today: a batch and an ABA file
    billiecart_payment(stack.url, "20.00")
    billiecart_payment(stack.url, "15.50")
    settled = requests.post(f"{stack.url}/_local/settle", params={"date": TODAY}, timeout=60)
    assert settled.status_code == 200, settled.text

    # When the operator chooses the tenant and the day
    console(page, stack, "#/settlement")
    page.select_option("select[name=tenant]", "harbour-health")
    page.fill("input[name=date]", TODAY)
    page.click("form.inline button")

    # Then the batch is listed with its total, and the ABA file's stored hash
    batch = page.locator("table.rows tbody tr:has-text('billiecart')")
    expect(batch).to_contain_text("35.50")
    expect(batch).to_contain_text("AUD")
    expect(page.locator("tr.total")).to_contain_text("AUD")
    expect(page.locator(".facts")).to_contain_text(f"harbour-health/{TODAY}.aba")

    # When they download it: the file, its hash computed in the browser matching the one stored with it
    with page.expect_download() as download:
        page.click("button:has-text('Download ABA file')")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    stored = api(page, f"batches?tenant=harbour-health&date={TODAY}")["aba"]["sha256"]
    assert download.value.suggested_filename == f"harbour-health-{TODAY}.aba"
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == stored
    expect(page.locator(".aba-outcome .ok")).to_have_text(f"sha256 {stored}: matches the hash stored with the file.")
    shot(page, "settlement")


def test_dead_letters_are_listed_and_redriven(page: Page, stack: LocalStack, given_up: str) -> None:
    # Given the payment the retry worker gave up on, its message on the retry dead-letter queue
    until(
        lambda: requests.get(f"{stack.url}/_local/payments/{given_up}", timeout=10).json()["state"] == "FAILED",
        90,
        "the worker's last attempt",
    )
    console(page, stack, "#/dlq")

    def listed() -> bool:
        page.reload()
        page.locator("section[data-queue=retry]").wait_for()
        return page.locator(f"section[data-queue=retry] tr:has-text('{given_up}')").count() == 1

    until(listed, 30, "its message on the dead-letter queue")
    retry_queue = page.locator("section[data-queue=retry]")
    row = retry_queue.locator(f"tr:has-text('{given_up}')")
    expect(row.locator("td").nth(3)).to_have_text(re.compile(r"^\d+$"))
    row.locator("summary").click()
    expect(row.locator("pre")).to_contain_text("no gateway response after the last attempt")
    expect(page.locator("section[data-queue=gateway_events] h3")).to_have_text(
        "Gateway events dead-letter queue: 0 messages"
    )
    shot(page, "dlq")

    # When the operator redrives the queue, confirming
    page.once("dialog", lambda dialog: dialog.accept())
    retry_queue.locator("button:has-text('Redrive')").click()

    # Then its messages are moved back, and the payment's message is no longer there
    expect(page.locator("#notice")).to_contain_text(re.compile(r"Moved [1-9]\d* message\(s\) from the Retry"))
    expect(retry_queue.locator(f"tr:has-text('{given_up}')")).to_have_count(0)


def test_customer_text_from_the_ledger_is_shown_never_run(page: Page, stack: LocalStack) -> None:
    # Given a Caliq payment whose VendorTXCode is markup
    caliq_payment(stack.url, HOSTILE, "1.00")

    # When the operator finds it and opens it
    console(page, stack, "#/search?id=" + requests.utils.quote(HOSTILE))
    page.locator("table.rows tbody tr").click()

    # Then the code is shown as written, and nothing of it ran or became an element
    expect(page.locator(".facts").first).to_contain_text(HOSTILE)
    assert page.locator("main img").count() == 0
    assert page.evaluate("window.pwned") is None


def test_a_token_the_api_refuses_is_renewed_at_the_pool(page: Page, stack: LocalStack) -> None:
    console(page, stack)
    page.evaluate("sessionStorage.setItem('paybridge.ops.idToken', 'no-longer-valid')")

    page.goto(f"{stack.url}/ops/#/dlq")

    expect(page.locator("section[data-queue=retry] h3")).to_be_visible()
    assert page.evaluate(TOKEN).count(".") == 2  # a JWT again, from moto's pool


# ---- what the stack's data cannot show: a stand-in for the API and Cognito --------------------------------------


def test_search_any_id_finds_the_payment_and_opens_its_timeline(page: Page, stub: Stub) -> None:
    # Given an operator signed in
    signed_in(page, stub)
    expect(page.locator("#user")).to_have_text(USER)

    # When they search for a Caliq VendorTXCode
    page.fill("form.search input", "VTX-p-stuck")
    page.click("form.search button")

    # Then the match is listed with what it matched on, and a click opens its timeline
    row = page.locator("table.rows tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("p-stuck")
    expect(row).to_contain_text("caliq VendorTXCode")
    expect(row).to_contain_text("125.50 AUD")
    row.click()
    expect(page.locator("#view h2")).to_contain_text("Payment p-stuck")
    assert page.url.endswith("#/payment/demo/p-stuck")
    # Every API call carried the ID token in its Authorization header, and no URL ever held it.
    token = page.evaluate("sessionStorage.getItem('paybridge.ops.idToken')")
    assert [c for c in stub.calls if c[2] != token] == []
    assert ("GET", "find?id=VTX-p-stuck", token) in stub.calls
    assert all(token not in path for _, path, _ in stub.calls)


def test_search_without_a_match_says_so(page: Page, stub: Stub) -> None:
    signed_in(page, stub, "#/search?id=nothing-like-it")

    expect(page.locator(".view-search .empty")).to_have_text("No payment matches “nothing-like-it”.")


def test_the_timeline_shows_the_payment_and_retry_shows_the_outcome(page: Page, stub: Stub) -> None:
    # Given a payment stuck in PROCESSING
    signed_in(page, stub, "#/payment/demo/p-stuck")

    # Then its summary, its states with their times, its answers (collapsed) and reversals are shown
    facts = page.locator(".facts").first
    for shown in ("demo", "VTX-p-stuck", "caliq", "125.50 AUD", "sandbox", "ch_p-stuck", "2 h 5 min"):
        expect(facts).to_contain_text(shown)
    steps = page.locator(".timeline li")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_contain_text("RECEIVED")
    expect(steps.nth(0)).to_contain_text("2026-12-02 12:54:00 UTC")
    expect(steps.nth(1)).to_contain_text("PROCESSING")
    answer = page.locator("details.answer")
    expect(answer.locator("summary")).to_have_text(re.compile(r"MakePayment · 503 · 2026-12-02 12:55:00 UTC"))
    expect(answer.locator("pre")).to_be_hidden()
    answer.locator("summary").click()
    expect(answer.locator("pre")).to_contain_text('"message": "<img src=x')
    expect(page.locator("table").last).to_contain_text("refund")
    expect(page.get_by_text("INV-5001")).to_be_visible()

    # When the operator retries it
    page.click(".title button:has-text('Retry')")

    # Then the outcome is shown and the view refreshed with the payment's new state
    expect(page.locator("#notice")).to_have_text("Retry of p-stuck: SUCCEEDED (the gateway approved it).")
    expect(page.locator(".title .state")).to_have_text("SUCCEEDED")
    expect(page.locator(".timeline li")).to_have_count(3)
    assert ("POST", "payments/demo/p-stuck/retry") in [(m, p) for m, p, _ in stub.calls]


def test_queues_list_by_state_and_age_with_retry_per_row(page: Page, stub: Stub) -> None:
    # Given the stuck tab
    signed_in(page, stub, "#/queues/PROCESSING")
    rows = page.locator("table.rows tbody tr")
    expect(rows).to_have_count(2)  # p-stuck and the hostile one, both 2 h 5 min in PROCESSING
    expect(rows.first).to_contain_text("2 h 5 min")

    # When the filter asks for older than 6 h, none is; the failed tab has the one a day old
    page.select_option("select[name=older_than]", "21600")
    expect(page.locator(".count")).to_have_text("0 PROCESSING payments")
    assert ("GET", "queue?state=PROCESSING&older_than=21600") in [(m, p) for m, p, _ in stub.calls]
    page.click(".tabs a:has-text('Failed')")
    expect(page.locator("table.rows tbody tr")).to_have_count(1)
    expect(page.locator("table.rows tbody tr")).to_contain_text("1 d 1 h")
    page.click(".tabs a:has-text('Pending')")
    expect(page.locator(".count")).to_have_text("0 PENDING payments")  # 200 s old: under 6 h
    page.select_option("select[name=older_than]", "0")
    expect(page.locator("table.rows tbody tr")).to_contain_text("3 min")

    # A row's Retry retries that payment and refreshes the list; a click on the row opens its timeline
    page.click(".tabs a:has-text('Stuck')")
    page.locator("tr:has-text('p-stuck') button:has-text('Retry')").click()
    expect(page.locator("#notice")).to_contain_text("Retry of p-stuck: SUCCEEDED")
    expect(page.locator("table.rows tbody tr")).to_have_count(1)
    page.locator("table.rows tbody tr").click()
    expect(page.locator("#view h2")).to_contain_text(f"Payment {HOSTILE}")


def test_dead_letters_are_listed_and_redriven_after_a_confirmation(page: Page, stub: Stub) -> None:
    signed_in(page, stub, "#/dlq")
    retry_queue = page.locator("section[data-queue=retry]")
    expect(retry_queue.locator("h3")).to_have_text("Retry dead-letter queue: 1 message")
    expect(retry_queue.locator("tbody tr")).to_contain_text("m-1")
    expect(retry_queue.locator("tbody tr td").nth(3)).to_have_text("5")
    expect(page.locator("section[data-queue=gateway_events] button")).to_be_disabled()

    # When the operator cancels the confirmation, nothing is moved
    page.once("dialog", lambda dialog: dialog.dismiss())
    retry_queue.locator("button:has-text('Redrive')").click()
    expect(retry_queue.locator("h3")).to_have_text("Retry dead-letter queue: 1 message")
    assert [p for m, p, _ in stub.calls if m == "POST"] == []

    # When they confirm, the queue is redriven and shown empty
    page.once("dialog", lambda dialog: dialog.accept())
    retry_queue.locator("button:has-text('Redrive')").click()
    expect(page.locator("#notice")).to_have_text("Moved 1 message(s) from the Retry dead-letter queue.")
    expect(retry_queue.locator("h3")).to_have_text("Retry dead-letter queue: 0 messages")
    assert [p for m, p, _ in stub.calls if m == "POST"] == ["dlq/retry/redrive"]


def test_settlement_batches_with_totals_and_the_checked_aba_file(page: Page, stub: Stub) -> None:
    # Given a tenant and a business date chosen
    signed_in(page, stub, "#/settlement")
    expect(page.locator("select[name=tenant]")).to_contain_text("Demo Billing (demo, AUD)")
    page.fill("input[name=date]", "2026-12-01")
    page.click("form.inline button")

    # Then its batches are listed, with exact decimal totals
    expect(page.locator("#view h3").first).to_have_text("Batches of demo for 2026-12-01")
    total = page.locator("tr.total td")
    expect(total).to_have_text(["Total", "6", "100.30", "1.05", "99.25", "AUD", ""])

    # When the ABA file is downloaded, it is the file, and its sha256 is shown as matching the stored one
    with page.expect_download() as download:
        page.click("button:has-text('Download ABA file')")
    assert download.value.suggested_filename == "demo-2026-12-01.aba"
    assert Path(download.value.path()).read_bytes() == ABA.encode()
    expect(page.locator(".aba-outcome .ok")).to_contain_text("matches the hash stored with the file")
    assert ("GET", "aba?organisation=demo&date=2026-12-01") in [(m, p) for m, p, _ in stub.calls]

    # And a file that is not what was stored is shown as not matching
    stub.aba = ABA.replace("PAYOUTS", "PAYOUTZ")
    with page.expect_download():
        page.click("button:has-text('Download ABA file')")
    expect(page.locator(".aba-outcome .bad")).to_contain_text("does NOT match the stored hash")


def test_the_chart_stacks_payments_per_hour_by_state(page: Page, stub: Stub) -> None:
    signed_in(page, stub, "#/chart")
    chart = page.locator("svg.chart")
    expect(chart).to_be_visible()

    series = stub.chart()["series"]
    bars = chart.locator("rect[data-state]")
    expect(bars).to_have_count(sum(1 for counts in series.values() for n in counts if n))
    expect(chart.locator("rect[data-state=FAILED]")).to_have_count(16)
    expect(chart.locator(".legend-item")).to_have_text(["SUCCEEDED (117)", "FAILED (24)", "PROCESSING (3)"])
    expect(chart.locator(".axis-title")).to_have_text(["hour (UTC)", "payments"])
    expect(chart.locator("text.tick", has_text="15:00")).to_have_count(1)  # the last hour
    # A bar is as tall as its count: one hour's stack is the sum of its states
    heights = chart.locator("rect[data-hour='2026-12-02T15:00:00+00:00']").evaluate_all(
        "rects => rects.map(r => [r.dataset.state, r.getBBox().height])"
    )
    unit = dict(heights)["PROCESSING"]  # 1 payment
    assert dict(heights) == pytest.approx({"SUCCEEDED": 7 * unit, "FAILED": 2 * unit, "PROCESSING": unit})
    expect(page.locator(".view-chart p.muted")).to_have_text(
        "144 payments from 2026-12-01 16:00:00 UTC to 2026-12-02 15:00:00 UTC."
    )


def test_first_sign_in_chooses_a_new_password_and_a_wrong_one_is_refused(page: Page, stub: Stub) -> None:
    # Given a user an administrator created, with a temporary password
    stub.must_change = True

    # When they sign in with it, they are asked for a new one, and then signed in
    sign_in(page, stub.url, TEMPORARY)
    expect(page.locator("#notice")).to_have_text("This is your first sign-in: choose a new password.")
    page.fill("#login-form input[name=new_password]", "Chosen-pass-2")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#nav")).to_be_visible()
    assert stub.password == "Chosen-pass-2"

    # A wrong password is Cognito's message in the alert
    page.click("#logout")
    sign_in(page, stub.url, "not-it")
    expect(page.locator("#alert")).to_have_text(re.compile("Incorrect username or password."))
    expect(page.locator("#login")).to_be_visible()


def test_an_expired_token_is_renewed_with_the_refresh_token(page: Page, stub: Stub) -> None:
    # Given a signed-in operator whose ID token has expired (the pool's last 15 minutes)
    signed_in(page, stub)
    first = page.evaluate("sessionStorage.getItem('paybridge.ops.idToken')")
    stub.expire()

    # When they open a view, the API's 401 is answered by a renewed token, and the view is shown
    page.goto(stub.url + "#/dlq")
    expect(page.locator("section[data-queue=retry] h3")).to_be_visible()
    renewed = page.evaluate("sessionStorage.getItem('paybridge.ops.idToken')")
    assert renewed != first
    assert [(path, token) for _, path, token in stub.calls] == [("dlq", first), ("dlq", renewed)]


def test_an_ended_session_goes_back_to_sign_in(page: Page, stub: Stub) -> None:
    signed_in(page, stub)
    assert page.evaluate("Object.keys(localStorage)") == []  # the tokens are in sessionStorage only

    # When the API refuses the token and the pool its refresh token
    stub.expire()
    stub.refresh_tokens.clear()
    page.goto(stub.url + "#/dlq")

    # Then the operator is back at the sign-in form, told why, and the tokens are gone
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#alert")).to_contain_text("Your session has ended: sign in again.")
    assert page.evaluate("Object.keys(sessionStorage)") == []


def test_signing_out_revokes_the_session(page: Page, stub: Stub) -> None:
    signed_in(page, stub)
    assert len(stub.refresh_tokens) == 1

    page.click("#logout")

    expect(page.locator("#login")).to_be_visible()
    assert page.evaluate("Object.keys(sessionStorage)") == []
    for _ in range(50):  # the revocation is sent without waiting for its answer
        if not stub.refresh_tokens:
            break
        page.wait_for_timeout(50)
    assert stub.refresh_tokens == set()


def test_an_api_error_shows_its_message(page: Page, stub: Stub) -> None:
    stub.failures["find"] = (503, "the ledger is unavailable: try again")
    signed_in(page, stub, "#/search?id=VTX-p-stuck")

    expect(page.locator("#alert")).to_be_visible()
    expect(page.locator("#alert-text")).to_have_text("the ledger is unavailable: try again")
    page.click("#alert-close")
    expect(page.locator("#alert")).to_be_hidden()


def test_text_from_the_api_is_shown_as_text_never_run(page: Page, stub: Stub) -> None:
    # Given a payment whose every field is hostile markup
    signed_in(page, stub, "#/search?id=" + HOSTILE)
    expect(page.locator("table.rows tbody tr")).to_contain_text(HOSTILE)

    page.locator("table.rows tbody tr").click()
    expect(page.locator(".facts").first).to_contain_text(HOSTILE)
    page.goto(stub.url + "#/dlq")
    page.locator("section[data-queue=retry] summary").click()
    expect(page.locator("section[data-queue=retry] pre")).to_contain_text(HOSTILE.replace('"', '\\"'))

    # Then it is shown as written, and nothing of it ran or became an element
    assert page.locator("main img").count() == 0
    assert page.evaluate("window.pwned") is None


def test_the_page_without_its_trailing_slash_loads_from_its_own_directory(page: Page, stub: Stub) -> None:
    page.goto(stub.url.removesuffix("/"))

    expect(page.locator("#login")).to_be_visible()
    assert page.url == stub.url
