"""The portal's pages on a phone, as the browser tests drive them: Debian's Chromium, headless,
through Playwright, at a cheap phone's size, under the portal's own Content Security Policy; with
axe-core, a screenshot of each page (kept in .local/screenshots, git-ignored), and the sign-in a
guardian does with the code their SMS brought."""

import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright, expect

ROOT = Path(__file__).parents[1]
CHROMIUM = "/usr/bin/chromium"  # Debian's: Playwright cannot download its own browser here
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
AXE = ROOT / "services/portal/web/node_modules/axe-core/axe.min.js"
SCREENSHOTS = ROOT / ".local/screenshots"
PHONE = {"width": 360, "height": 740}
REFUSED: dict[int, list[str]] = {}  # per page: what the portal's Content Security Policy refused


async def launch() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


def client_address() -> str:
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


async def new_phone(chromium: Browser, portal_url: str) -> Page:
    context = await chromium.new_context(
        base_url=portal_url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        # each phone is a client of its own, as the portal's per-address limits see it
        extra_http_headers={"X-Forwarded-For": client_address()},
    )
    page = await context.new_page()
    refused = REFUSED.setdefault(id(page), [])
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return page


async def accessible(page: Page, name: str, width: int = PHONE["width"]) -> None:
    """No serious or critical axe-core violation on the page as it stands, nothing its CSP refused,
    no sideways scrolling at ``width`` (a phone's 360 px unless said); a screenshot of it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    assert not REFUSED.get(id(page)), f"{name}: the page needs what its CSP refuses: {REFUSED[id(page)]}"
    # evaluated through the browser's protocol, not as a page script, so the page's CSP stays as it is
    await page.evaluate(AXE.read_text())
    result = await page.evaluate("async () => await axe.run(document)")
    bad = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: {bad}"
    scrolled = await page.evaluate("document.documentElement.scrollWidth")
    assert scrolled <= width, f"{name} scrolls sideways on a {width} px screen ({scrolled} px)"


def sms_texts(provider, phone: str) -> list[str]:
    """What each SMS to the number said: its subject line and its text."""
    return [f"{m.get('subject') or ''}\n{m['text']}" for m in provider[0].to("sms", phone)]


async def sign_in_on_the_page(page: Page, phone_number: str, provider, eventually) -> None:
    """The guardian's sign-in: their number, the code the next SMS brings, 登录."""
    before = len([t for t in sms_texts(provider, phone_number) if "验证码" in t])
    await page.goto("/sign-in")
    await page.get_by_label("手机号").fill(phone_number)
    await page.get_by_role("button", name="获取验证码").click()

    def codes() -> list[str]:
        return [t for t in sms_texts(provider, phone_number) if "验证码" in t]

    async def code_arrived() -> bool:
        return len(codes()) > before

    await eventually(code_arrived, 20)
    code = re.search(r"验证码是 ?(\d{6})", codes()[-1])
    assert code is not None
    await page.get_by_label("验证码").fill(code[1])
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/inbox$"))
