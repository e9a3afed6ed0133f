#!/usr/bin/env python3
"""Take the screenshots of the user documentation from a running demo.

Start the demo first (``make run``, or any Odoo 18 serving a database where
``flexi_autocomm`` is installed with its demo data), then::

    python3 tools/screenshots.py                      # http://localhost:8069
    python3 tools/screenshots.py --url http://localhost:8070 --db docs1

The pictures are written to the ``static/description/`` folder of the addon
they show (``flexi_autocomm``, ``flexi_autocomm_stock`` …: where OCA's README
generator and the Odoo app page look for them) and shown by the README and the
``readme/`` fragments; the shots of an addon the database lacks are skipped.
Look at each one after a run.

How it works: headless Chromium (``chromium`` or ``google-chrome``) driven over
the DevTools protocol with ``websocket-client`` (a dev tool of
``requirements-dev.txt``). The script logs in through Odoo's JSON API, hands
the session cookie to the browser, opens each page, waits for the element to
show, and captures that element (or the window).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import itertools
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BROWSERS = ("chromium", "google-chrome", "chromium-browser", "google-chrome-stable")


@dataclass
class Shot:
    """One screenshot: the page, what to wait for and what to capture."""

    name: str
    path: str  # URL path, may contain {xmlid} references resolved to ids
    wait_for: str  # CSS selector that must be visible before anything else
    clip: str | tuple | None = None  # CSS selector(s) to capture, None: the window
    actions: list = field(default_factory=list)  # (kind, selector) in order
    padding: int = 8
    size: tuple | None = None  # (width, height) of the window, default --width/height
    addon: str = "flexi_autocomm"  # whose static/description/ gets the picture


SHOTS = [
    Shot(
        "settings_autocomm.png",
        "/odoo/action-account.action_account_config",
        wait_for="#autocomm_mode_setting",
        clip="#autocomm_mode_setting",
        actions=[("scroll", "#autocomm_mode_setting")],
        padding=16,
    ),
    Shot(
        "partner_contacts.png",
        "/odoo/action-account.res_partner_action_customer/"
        "{flexi_autocomm.res_partner_pekarna_demo}",
        wait_for=".o_field_widget[name=child_ids] .o_kanban_record",
        clip=".o_form_sheet",
    ),
    Shot(
        "contact_flag.png",
        "/odoo/action-account.res_partner_action_customer/"
        "{flexi_autocomm.res_partner_pekarna_demo}",
        wait_for=".o_field_widget[name=child_ids] .o_kanban_record",
        clip=".modal-dialog .modal-content",
        actions=[
            (
                "click",
                ".o_field_widget[name=child_ids] .o_kanban_record:not(.o_kanban_ghost)",
            ),
            ("wait", ".modal-dialog .o_field_widget[name=autocomm_send_invoices]"),
        ],
    ),
    Shot(
        "journal_texts.png",
        "/odoo/action-account.action_account_journal_form/{account.1_sale}",
        wait_for=".o_notebook a[name=autocomm_texts]",
        clip=".o_form_sheet",
        actions=[
            ("click", ".o_notebook a[name=autocomm_texts]"),
            ("wait", ".o_field_widget[name=autocomm_email_text]"),
        ],
    ),
    Shot(
        # The invoice that make run's scheduled action e-mails (a minute or
        # so after the start).
        "invoice_sent.png",
        "/odoo/action-account.action_move_out_invoice_type/"
        "{flexi_autocomm.account_move_to_send_demo}",
        wait_for=".o_notebook a[name=other_info]",
        # The mail state is on the tab of the responsible person, read-only
        # once the mail server took the e-mail.
        actions=[
            ("click", ".o_notebook a[name=other_info]"),
            ("wait", ".o_field_widget[name=autocomm_state]:not(:has(select))"),
        ],
    ),
    Shot(
        # Its e-mail in the chatter: the message with the attachments.
        "invoice_chatter.png",
        "/odoo/action-account.action_move_out_invoice_type/"
        "{flexi_autocomm.account_move_to_send_demo}",
        wait_for=".o-mail-Chatter .o-mail-Message:has(.o-mail-AttachmentList)",
        clip=".o-mail-Chatter .o-mail-Message:has(.o-mail-AttachmentList)",
        actions=[
            (
                "scroll",
                ".o-mail-Chatter .o-mail-Message:has(.o-mail-AttachmentList)",
            ),
        ],
    ),
    Shot(
        "invoice_failed.png",
        "/odoo/action-account.action_move_out_invoice_type/"
        "{flexi_autocomm.account_move_failed_demo}",
        wait_for=".o_notebook a[name=other_info]",
        # The mail state is on the tab of the responsible person.
        actions=[
            ("click", ".o_notebook a[name=other_info]"),
            ("wait", ".o_field_widget[name=autocomm_state]"),
        ],
    ),
    Shot(
        "invoice_list.png",
        "/odoo/action-account.action_move_out_invoice_type",
        wait_for=".o_list_view td[name=autocomm_state]",
        clip=None,
    ),
    Shot(
        "contract.png",
        "/odoo/action-flexi_autocomm.customer_contract_action/"
        "{flexi_autocomm.customer_contract_deco_addict_demo}",
        wait_for=".o_field_widget[name=auto_send]",
        clip=None,
    ),
    Shot(
        "operation_type_texts.png",
        "/odoo/action-stock.action_picking_type_list/{stock.picking_type_out}",
        wait_for=".o_notebook a[name=autocomm_texts]",
        clip=".o_form_sheet",
        actions=[
            ("click", ".o_notebook a[name=autocomm_texts]"),
            ("wait", ".o_field_widget[name=autocomm_email_text]"),
        ],
        addon="flexi_autocomm_stock",
    ),
    Shot(
        # The delivery order that make run's scheduled action e-mails.
        "delivery_sent.png",
        "/odoo/action-stock.action_picking_tree_all/"
        "{flexi_autocomm_stock.stock_picking_pekarna_demo}",
        wait_for=".o_field_widget[name=autocomm_sent_date]",
        addon="flexi_autocomm_stock",
    ),
    Shot(
        "delivery_list.png",
        "/odoo/action-stock.action_picking_tree_outgoing",
        wait_for=".o_list_view td[name=autocomm_state]",
        addon="flexi_autocomm_stock",
    ),
    Shot(
        "sale_settings.png",
        "/odoo/action-sale.action_sale_config_settings",
        wait_for="#autocomm_quotation_setting",
        clip=("#autocomm_quotation_setting", "#autocomm_sale_order_setting"),
        actions=[("scroll", "#autocomm_quotation_setting")],
        padding=16,
        addon="flexi_autocomm_sale",
    ),
    Shot(
        # The quotation that make run's scheduled action e-mails.
        "quotation_sent.png",
        "/odoo/action-sale.action_quotations_with_onboarding/"
        "{flexi_autocomm_sale.sale_order_quotation_demo}",
        wait_for=".o_notebook a[name=other_information]",
        # The mail state is on the tab of the salesperson.
        actions=[
            ("click", ".o_notebook a[name=other_information]"),
            ("wait", ".o_field_widget[name=autocomm_sent_date]"),
            ("scroll", ".o_field_widget[name=autocomm_state]"),
        ],
        addon="flexi_autocomm_sale",
    ),
    Shot(
        "sale_order_list.png",
        "/odoo/action-sale.action_quotations_with_onboarding",
        wait_for=".o_list_view td[name=autocomm_state]",
        addon="flexi_autocomm_sale",
    ),
    Shot(
        "purchase_settings.png",
        "/odoo/action-purchase.action_purchase_configuration",
        wait_for="#autocomm_rfq_setting",
        clip=(
            "#autocomm_rfq_setting",
            "#autocomm_purchase_order_setting",
            "#autocomm_purchase_placeholders",
        ),
        actions=[("scroll", "#autocomm_rfq_setting")],
        padding=16,
        addon="flexi_autocomm_purchase",
    ),
    Shot(
        # The RFQ that make run's scheduled action e-mails.
        "rfq_sent.png",
        "/odoo/action-purchase.purchase_rfq/"
        "{flexi_autocomm_purchase.purchase_order_rfq_demo}",
        # Read-only once the mail server took the e-mail.
        wait_for=".o_field_widget[name=autocomm_state]:not(:has(select))",
        addon="flexi_autocomm_purchase",
    ),
    Shot(
        "purchase_order_list.png",
        "/odoo/action-purchase.purchase_rfq",
        wait_for=".o_list_view td[name=autocomm_state]",
        addon="flexi_autocomm_purchase",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    sys.exit(
        "no Chromium found (looked for " + ", ".join(BROWSERS) + "); "
        "Debian: apt-get install chromium"
    )


class Odoo:
    """JSON-RPC to the Odoo server: log in, resolve XML ids."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.session_id = None

    def call(self, route: str, params: dict):
        request = urllib.request.Request(
            self.url + route,
            data=json.dumps({"jsonrpc": "2.0", "params": params}).encode(),
            headers={"Content-Type": "application/json"},
        )
        if self.session_id:
            request.add_header("Cookie", f"session_id={self.session_id}")
        with self.opener.open(request, timeout=60) as response:
            for header in response.headers.get_all("Set-Cookie") or []:
                if header.startswith("session_id="):
                    self.session_id = header.split(";", 1)[0].split("=", 1)[1]
            answer = json.load(response)
        if answer.get("error"):
            raise RuntimeError(answer["error"].get("data", {}).get("message", answer))
        return answer["result"]

    def login(self, db: str, login: str, password: str) -> None:
        self.call(
            "/web/session/authenticate",
            {"db": db, "login": login, "password": password},
        )

    def installed_addons(self, names: set) -> set:
        rows = self.call(
            "/web/dataset/call_kw",
            {
                "model": "ir.module.module",
                "method": "search_read",
                "args": [
                    [("name", "in", sorted(names)), ("state", "=", "installed")],
                    ["name"],
                ],
                "kwargs": {},
            },
        )
        return {row["name"] for row in rows}

    def xmlid_to_id(self, xmlid: str) -> int:
        module, name = xmlid.split(".", 1)
        rows = self.call(
            "/web/dataset/call_kw",
            {
                "model": "ir.model.data",
                "method": "search_read",
                "args": [[("module", "=", module), ("name", "=", name)], ["res_id"]],
                "kwargs": {},
            },
        )
        if not rows:
            raise RuntimeError(f"no record {xmlid}: is the demo data installed?")
        return rows[0]["res_id"]


class Browser:
    """Headless Chromium and one page, driven over the DevTools protocol."""

    def __init__(self, width: int, height: int) -> None:
        import websocket  # websocket-client, from requirements-dev.txt

        self.profile = tempfile.mkdtemp(prefix="flexi_autocomm-shots-")
        port = free_port()
        self.process = subprocess.Popen(
            [
                find_browser(),
                "--headless",
                "--no-sandbox",  # needed as root, harmless otherwise
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-extensions",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                f"--window-size={width},{height}",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + 30
        while True:
            try:
                with opener.open(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                    pages = [t for t in json.load(r) if t["type"] == "page"]
                if pages:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.close()
                sys.exit("Chromium did not open its DevTools port in 30 s")
            time.sleep(0.2)
        self.ws = websocket.create_connection(
            pages[0]["webSocketDebuggerUrl"], suppress_origin=True, timeout=60
        )
        self.ids = itertools.count(1)
        self.size = (width, height)
        self.send("Page.enable")

    def send(self, method: str, **params):
        """Send one command and return its result (events are skipped)."""
        message_id = next(self.ids)
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str):
        result = self.send(
            "Runtime.evaluate",
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_visible(self, selector: str, timeout: float = 30) -> None:
        check = (
            f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
            " return !!(el && el.getClientRects().length); })()"
        )
        deadline = time.monotonic() + timeout
        while not self.evaluate(check):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{selector} did not show in {timeout:.0f} s")
            time.sleep(0.2)

    def wait_idle(self) -> None:
        """Let pending RPCs, fonts and animations settle."""
        self.evaluate("document.fonts.ready.then(() => true)")
        time.sleep(1.0)

    def click(self, selector: str) -> None:
        self.wait_visible(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def scroll(self, selector: str) -> None:
        self.evaluate(
            f"document.querySelector({json.dumps(selector)})"
            ".scrollIntoView({block: 'center'})"
        )

    def capture(self, selectors: str | tuple | None, padding: int) -> bytes:
        """Capture the window, or the box around the elements of ``selectors``."""
        params = {"format": "png"}
        if selectors:
            if isinstance(selectors, str):
                selectors = (selectors,)
            x, y, right, bottom = self.evaluate(
                f"(() => {{ const rects = {json.dumps(selectors)}.map("
                "s => document.querySelector(s).getBoundingClientRect());"
                " return [Math.min(...rects.map(r => r.left)),"
                " Math.min(...rects.map(r => r.top)),"
                " Math.max(...rects.map(r => r.right)),"
                " Math.max(...rects.map(r => r.bottom))]; })()"
            )
            width, height = right - x, bottom - y
            params["clip"] = {
                "x": max(x - padding, 0),
                "y": max(y - padding, 0),
                "width": width + 2 * padding,
                "height": height + 2 * padding,
                "scale": 1,
            }
        return base64.b64decode(self.send("Page.captureScreenshot", **params)["data"])

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def take(browser: Browser, odoo: Odoo, shot: Shot, out_dir: Path) -> Path:
    path = re.sub(
        r"\{([\w.]+)\}", lambda match: str(odoo.xmlid_to_id(match[1])), shot.path
    )
    width, height = shot.size or browser.size
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=height,
        deviceScaleFactor=1,
        mobile=False,
    )
    browser.send("Page.navigate", url=odoo.url + path)
    browser.wait_visible(shot.wait_for)
    for kind, selector in shot.actions:
        if kind == "click":
            browser.click(selector)
        elif kind == "wait":
            browser.wait_visible(selector)
        elif kind == "scroll":
            browser.scroll(selector)
    browser.wait_idle()
    target = out_dir / shot.name
    target.write_bytes(browser.capture(shot.clip, shot.padding))
    return target


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", default="flexi_autocomm_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument(
        "--out", type=Path, help="one folder for all (default: each addon's)"
    )
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=860)
    parser.add_argument("only", nargs="*", help="names of the shots to take")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    odoo = Odoo(args.url)
    odoo.login(args.db, args.login, args.password)
    installed = odoo.installed_addons({shot.addon for shot in SHOTS})
    browser = Browser(args.width, args.height)
    status = 0
    try:
        browser.send(
            "Network.setCookie",
            name="session_id",
            value=odoo.session_id,
            url=odoo.url,
        )
        for shot in SHOTS:
            if args.only and shot.name not in args.only:
                continue
            if shot.addon not in installed:
                print(f"{shot.name}: skipped ({shot.addon} is not installed)")
                continue
            out_dir = args.out or ROOT / shot.addon / "static" / "description"
            out_dir.mkdir(parents=True, exist_ok=True)
            try:
                print(f"{shot.name}: {take(browser, odoo, shot, out_dir)}", flush=True)
            except RuntimeError as error:
                failed = Path(tempfile.gettempdir()) / f"failed-{shot.name}"
                failed.write_bytes(browser.capture(None, 0))
                print(f"{shot.name}: FAILED ({error}); the page: {failed}", flush=True)
                status = 1
    finally:
        browser.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
