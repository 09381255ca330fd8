"""Full-page screenshots of every public page at desktop (1280 px) and phone (360 px) width.

    make screenshots            # or: .venv/bin/python scripts/screenshots.py [--port 8601]

Builds a scratch SQLite database (``migrate`` + ``load_book``; if the book cannot
be loaded, a small demo data set, and says so), serves it with ``runserver``
under the production settings (so the 404 page is the visitor's, not Django's
debug page, and static files are collected as in production), and writes
``screenshots/<page>-desktop.png`` and ``<page>-phone.png`` plus an index.md.
Uses Debian's Chromium through Playwright.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

OUT = ROOT / "screenshots"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True},
}


def manage(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if check and done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done


def _add_demo_data(env: dict) -> None:
    code = "from tests.browser.pages import make_demo_data; make_demo_data()"
    manage(env, "shell", "-c", code)


def build_database(env: dict) -> str:
    """Migrate and load the book; fall back to demo data. Returns what was loaded."""
    manage(env, "migrate", "--noinput")
    loaded = manage(env, "load_book", check=False)
    if loaded.returncode != 0:
        error = (loaded.stderr.strip().splitlines() or ["(no output)"])[-1]
        print(f"WARNING: load_book failed ({error}); using demo data instead.", file=sys.stderr)
        _add_demo_data(env)
        return "DEMO DATA (load_book failed), not the book's cases"
    summary = [line for line in loaded.stdout.splitlines() if line.startswith("Loaded:")]
    summary = summary[-1] if summary else "load_book"
    if "(0 published)" in summary:
        print("WARNING: the book has no published cases yet; adding demo cases.", file=sys.stderr)
        _add_demo_data(env)
        return f"the book's reference data ({summary}) plus DEMO CASES"
    return f"the book ({summary})"


def page_list(env: dict):
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from tests.browser.pages import public_pages

    return public_pages()


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The server exited ({server.returncode}); see screenshots/server.log")
        try:
            with urllib.request.urlopen(url + "/health/", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"The server did not answer on {url} within {seconds} s")


def take(base_url: str, pages) -> list[tuple[str, str, str]]:
    from playwright.sync_api import sync_playwright

    shots = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        for width_name, options in VIEWPORTS.items():
            context = browser.new_context(base_url=base_url, **options)
            page = context.new_page()
            for public_page in pages:
                response = page.goto(public_page.path)
                status = response.status if response else 0
                file = f"{public_page.name}-{width_name}.png"
                page.screenshot(path=str(OUT / file), full_page=True)
                note = "" if status == public_page.status else f" (HTTP {status}!)"
                print(f"  {file:40} {public_page.path}{note}")
                shots.append((public_page.name, width_name, public_page.path))
            context.close()
        browser.close()
    return shots


def write_index(shots, data: str) -> None:
    lines = [
        "# Screenshots of the public pages",
        "",
        f"Made by `make screenshots` on {time.strftime('%Y-%m-%d')} from {data}.",
        "",
        "| Page | Path | Desktop (1280 px) | Phone (360 px) |",
        "|---|---|---|---|",
    ]
    for name, width, path in shots:
        if width == "desktop":
            lines.append(
                f"| {name} | `{path}` | ![{name}, desktop]({name}-desktop.png) "
                f"| ![{name}, phone]({name}-phone.png) |"
            )
    (OUT / "index.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("SCREENSHOTS_PORT", 8601)))
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM}: apt-get install chromium")

    scratch = Path(tempfile.mkdtemp(prefix="atlas-screenshots-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"sqlite:///{scratch / 'atlas.sqlite3'}",
        "STATIC_ROOT": str(scratch / "static"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "LOG_LEVEL": "WARNING",
    }
    # The server runs the production settings on plain HTTP, with throwaway secrets.
    server_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "screenshots-only-" + os.urandom(16).hex(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
    }
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    server = None
    try:
        data = build_database(env)
        print(f"Data: {data}")
        manage(server_env, "collectstatic", "--noinput")
        pages = page_list(env)
        base_url = f"http://127.0.0.1:{args.port}"
        with open(OUT / "server.log", "w") as log:
            server = subprocess.Popen(  # noqa: S603
                [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{args.port}"],
                cwd=ROOT,
                env=server_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            wait_until_up(base_url, server)
            print(f"Screenshots of {len(pages)} pages into {OUT.relative_to(ROOT)}/:")
            shots = take(base_url, pages)
        write_index(shots, data)
        print(f"Index: {(OUT / 'index.md').relative_to(ROOT)}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
