"""Screenshots of the over-time comparison widget for the README: desktop, a 390 px phone and the dark theme.

    .venv/bin/python scripts/screenshots.py            # writes docs/img/overtime-*.png

It builds a lake from the shipped data (data/, the reviewed documents included, as `yardstick serve` does) in a
temporary directory, starts the real server on 127.0.0.1, and photographs /embed/compare/... in Debian's headless
Chromium through Playwright. Nothing leaves the machine. Each file is kept under 150 KB.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img"
WIDGET = "/embed/compare/industry.value_added.growth/430400?start=2022-Q3"
SHOTS = [  # file, query added to the widget's, viewport width and height
    ("overtime-desktop.png", "&width=560", 720, 560),
    ("overtime-phone.png", "", 390, 700),
    ("overtime-dark.png", "&width=560&theme=dark", 720, 560),
]
LIMIT = 150_000  # bytes a screenshot may take


def serve(lake: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "service", "--data-dir", str(lake), "serve", "--port", str(port), "--workers", "1"]
    env = {**os.environ, "YARDSTICK_LOAD_SEED": "true", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):  # the first start ingests the shipped data
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit("the server did not start")


def shoot(base: str) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"], headless=True)
        for name, query, width, height in SHOTS:
            for scale in (2, 1.5, 1):  # the sharpest that stays under LIMIT
                page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=scale)
                page.goto(base + WIDGET + query)
                page.wait_for_selector("img")
                while not page.eval_on_selector("img", "i => i.complete && i.naturalWidth > 0"):
                    time.sleep(0.1)
                body = page.eval_on_selector("figure", "f => f.getBoundingClientRect().height")
                page.set_viewport_size({"width": width, "height": int(body) + 8})
                page.screenshot(path=str(OUT / name))
                page.close()
                if (OUT / name).stat().st_size < LIMIT:
                    break
            print(f"{name}: {(OUT / name).stat().st_size // 1024} KB")
        browser.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="yardstick-shots-") as tmp:
        proc, base = serve(Path(tmp) / "lake")
        try:
            shoot(base)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
