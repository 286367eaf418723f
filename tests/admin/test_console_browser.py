"""The approver's console in a real browser: headless Chromium (Debian's package) driven by
Selenium, against a real gateway process, with a real psql as the waiting analyst.

The approver signs in with the demo's approver token, sees the analyst's waiting query appear
without a reload, approves it with a reason, and the analyst's psql gets its rows. A POST
without the CSRF token and an analyst's token are refused. Screenshots go to docs/.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from pgbridge.audit.reader import iter_records
from pgbridge.audit.records import log_files
from tests.admin.conftest import ConsoleGateway
from tests.policy_wire.support import VERBOSE, approval_id
from tests.support.browser import screenshot_path, small_png
from tests.support.psql import commands, psql_argv, psql_env

# A real Chromium drives the console: the slow lane (make test), not the inner loop.
pytestmark = pytest.mark.slow

# Three 8-byte columns of 1M orders: an estimated 24 MB scan, over the analyst's 20 MB.
BIG = "SELECT count(amount) + count(ordered_at) + count(customer_id) FROM shop.orders"
BIG_ROWS = 3_000_000
# Over the filtered_wait role's 1 MB: a masked column (email) and a row filter (its country claim).
MASKED_FILTERED = (
    "SELECT name, email, country FROM shop.customers WHERE created_at > '2020-01-01' ORDER BY id"
)


def _left_the_page(element: Any) -> bool:
    """The element's page was replaced. Chromium reports a node of the old page either as stale
    or, while the new page loads, as "does not belong to the document" (a plain
    WebDriverException that selenium's staleness_of lets escape): both mean it is gone."""
    try:
        element.is_enabled()
    except WebDriverException:  # StaleElementReferenceException is one
        return True
    return False


def sign_in(driver: Any, cg: ConsoleGateway, token: str) -> None:
    """Submit the sign-in form and wait for the next page (a click does not wait for it)."""
    driver.delete_all_cookies()
    driver.get(f"{cg.base}/console/")
    assert driver.current_url.endswith("/console/login")
    form = driver.find_element(By.ID, "token")
    form.send_keys(token)
    driver.find_element(By.ID, "sign-in").click()
    WebDriverWait(driver, 30).until(lambda _: _left_the_page(form))


def start_waiting_psql(cg: ConsoleGateway, user: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        psql_argv(cg.gw, *VERBOSE, *commands([BIG]), user=user),
        env={**psql_env(cg.gw, user, ("analyst",)), "PGAPPNAME": "agent-report"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def audit_records(cg: ConsoleGateway, kind: str) -> list[dict[str, Any]]:
    return [r for _line, r in iter_records(log_files(cg.audit_dir)) if r["type"] == kind]


def test_approver_sees_a_waiting_query_appear_and_approves_it(
    console_gateway: ConsoleGateway, chromium: Any, tmp_path: Path
) -> None:
    cg, driver = console_gateway, chromium
    sign_in(driver, cg, cg.token("carol", ("approver",)))
    assert driver.find_element(By.ID, "me").text == "carol"
    driver.find_element(By.ID, "none-pending")
    driver.execute_script("window.__notReloaded = true;")  # lost if the page reloads
    # A row-filtered reader's ticket first (masks and a row filter to show), then the waiting analyst.
    filtered = _ticket(cg, "fiona_ui", ("filtered_wait",), MASKED_FILTERED, country="DE")
    card = WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, filtered))[0]
    assert "country = 'DE'" in card.text and "email" in card.text and "ticket" in card.text
    psql = start_waiting_psql(cg, "ana")
    try:
        assert psql.stderr is not None
        notice = psql.stderr.readline()
        request_id = approval_id(notice)
        card = WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, request_id))[0]
        assert driver.execute_script("return window.__notReloaded === true;")
        text = card.text
        assert "ana" in text and "analyst" in text and "roles.analyst.max_bytes" in text
        assert "the client is waiting" in text and "MB" in text and "$" in text
        assert (
            "SELECT count(amount) + count(ordered_at)" in card.find_element(By.CSS_SELECTOR, ".original").text
        )
        assert "`shop`.`orders`" in card.find_element(By.CSS_SELECTOR, ".bigquery").text
        driver.set_window_size(1280, 1560)
        shot = screenshot_path("console-pending.png", tmp_path)
        driver.save_screenshot(str(shot))
        driver.set_window_size(1280, 1000)
        small_png(shot)
        assert shot.stat().st_size > 10_000
        card.find_element(By.NAME, "reason").send_keys("monthly report, checked the scan size")
        card.find_element(By.CSS_SELECTOR, "button.approve").click()
        flash = WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".flash.ok"))[0]
        assert f"{request_id} approved" in flash.text
        out, err = psql.communicate(timeout=60)
    finally:
        if psql.poll() is None:
            psql.kill()
            psql.communicate()
    assert psql.returncode == 0, err
    assert out.strip() == str(BIG_ROWS)
    driver.get(f"{cg.base}/console/history?requester=ana&decision=approved")
    row = driver.find_element(By.CSS_SELECTOR, "tr.status-consumed")
    assert request_id in row.text and "carol" in row.text and "monthly report" in row.text
    shot = screenshot_path("console-history.png", tmp_path)
    driver.save_screenshot(str(shot))
    small_png(shot)
    requested = [r["data"] for r in audit_records(cg, "approval_requested")]
    assert any(d["approval_id"] == request_id and d["sql"] == BIG and d["mode"] == "wait" for d in requested)
    decided = [
        r["data"] for r in audit_records(cg, "approval_decided") if r["data"]["approval_id"] == request_id
    ]
    assert [(d["approver"]["subject"], d["decision"], d["via"]) for d in decided] == [
        ("carol", "approved", "console")
    ]
    ran = [r["data"] for r in audit_records(cg, "statement") if r["data"].get("approval_id") == request_id]
    assert [(d["approver"], d["approval_reason"], d["decision"]) for d in ran] == [
        ("carol", "monthly report, checked the scan size", "approve")
    ]


def _ticket(
    cg: ConsoleGateway, user: str, roles: tuple[str, ...] = ("analyst",), sql: str = BIG, **claims: object
) -> str:
    """A pending request made in ticket mode (psql gets the id at once and exits)."""
    done = subprocess.run(
        psql_argv(cg.gw, *VERBOSE, *commands(["SET pgbridge.approval = ticket", sql]), user=user),
        env=psql_env(cg.gw, user, roles, **claims),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "42501" in done.stderr, done.stderr
    return approval_id(done.stderr)


def _post(driver: Any, path: str, fields: dict[str, str]) -> int:
    """A form POST from the signed-in page's own origin, with the browser's cookies."""
    script = """
        const done = arguments[arguments.length - 1];
        fetch(arguments[0], {method: "POST", credentials: "same-origin",
                             body: new URLSearchParams(JSON.parse(arguments[1]))})
          .then(r => done(r.status)).catch(e => done(String(e)));
    """
    return int(driver.execute_async_script(script, path, json.dumps(fields)))


def test_a_post_without_the_csrf_token_is_refused(console_gateway: ConsoleGateway, chromium: Any) -> None:
    cg, driver = console_gateway, chromium
    request_id = _ticket(cg, "ana_csrf")
    sign_in(driver, cg, cg.token("carol", ("approver",)))
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, request_id))
    path = f"/console/approvals/{request_id}/approve"
    assert _post(driver, path, {"reason": "no csrf"}) == 403
    assert _post(driver, path, {"reason": "wrong csrf", "csrf": "x" * 43}) == 403
    driver.refresh()
    assert driver.find_elements(By.ID, request_id), "the request must still be pending"
    csrf = driver.find_element(By.NAME, "csrf").get_attribute("value")
    assert (
        _post(driver, f"/console/approvals/{request_id}/deny", {"reason": "not needed", "csrf": csrf}) == 200
    )
    driver.get(f"{cg.base}/console/history?requester=ana_csrf")
    assert "denied" in driver.find_element(By.CSS_SELECTOR, "tr.status-denied").text


@pytest.mark.parametrize("roles", [("analyst",), ("admin",)])
def test_a_token_without_the_approver_role_is_refused(
    console_gateway: ConsoleGateway, chromium: Any, roles: tuple[str, ...]
) -> None:
    cg, driver = console_gateway, chromium
    sign_in(driver, cg, cg.token("ana", roles))
    error = driver.find_element(By.ID, "login-error")
    assert "does not hold the 'approver' role" in error.text
    assert driver.get_cookie("__Host-pgbridge-console") is None
    driver.get(f"{cg.base}/console/")
    assert driver.current_url.endswith("/console/login")


def test_a_forged_token_is_refused(console_gateway: ConsoleGateway, chromium: Any) -> None:
    cg, driver = console_gateway, chromium
    good = cg.token("carol", ("approver",))
    header, payload, signature = good.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    sign_in(driver, cg, forged)
    assert "not valid" in driver.find_element(By.ID, "login-error").text
    assert driver.get_cookie("__Host-pgbridge-console") is None
    failed = audit_records(cg, "console_sign_in_failed")
    assert failed and all(forged not in json.dumps(r) for r in failed)
    assert forged not in cg.gw.log()
