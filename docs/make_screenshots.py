"""Take the README's screenshots: seed the demo into a temporary database, serve it, photograph five pages.

Run from the repository root: .venv/bin/python docs/make_screenshots.py
"""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.liveserver import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    DEMO_PASSWORD,
    build_schema,
    flask,
    fresh_database,
    gunicorn,
    server_env,
)

OUT = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}


def company_id(database_url: str, ref: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT id FROM company WHERE ref = :ref"), {"ref": ref}).scalar_one()
    finally:
        engine.dispose()


def shoot(browser, base_url: str, shots: list[tuple[str, str]], login: str | None = None) -> None:
    """Photograph each (file name, path) in one browser context, logged in as `login` when given."""
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT, locale="en-GB")
    page = context.new_page()
    if login:
        page.goto("/auth/login")
        page.get_by_label("Email", exact=True).fill(login)
        page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
    for name, path in shots:
        response = page.goto(path)
        if not response.ok:
            raise SystemExit(f"{path} answered {response.status}: not a picture for the README")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(OUT / name))
        print(f"docs/screenshots/{name}  <- {path}")
    context.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, fresh_database(Path(tmp)) as database_url:
        env = server_env(database_url, Path(tmp))
        build_schema(
            env, migrations=False
        )  # the pages, not the migrations, are the subject here (e2e tests check those)
        flask(env, "seed-demo")
        try:
            flask(env, "search", "rebuild")
        except RuntimeError:
            pass  # no search package yet: the pages below do not need the index
        korangi = company_id(database_url, "demo-korangi-tanners")
        with gunicorn(env, Path(tmp) / "gunicorn.log") as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            shoot(
                browser,
                base_url,
                [("home.png", "/"), ("directory.png", "/companies/"), ("profile.png", f"/companies/{korangi}")],
            )
            shoot(browser, base_url, [("verification.png", "/staff/verification")], login="staff@pta.example")
            shoot(browser, base_url, [("dashboard.png", "/dashboard")], login="owner@korangi-tanners.example")
            browser.close()


if __name__ == "__main__":
    main()
