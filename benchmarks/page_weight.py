"""Page weight and time to the first interactive widget of each chapter, measured in Chromium.

Builds the book (or takes ``--html``), serves it on 127.0.0.1, and loads every chapter several
times in a fresh browser context (empty cache). For each page it records the bytes transferred
(headers + bodies of every response) and the time from navigation start to the moment the first
widget is in the page with its controls. The baseline, measured in the same run, is the welcome
page, which has no widgets: its bytes, and its time to the ``load`` event. Prints a table with
ratios and writes ``benchmarks/results/page_weight.json``.

    python benchmarks/page_weight.py [--html _build/html] [--runs 3]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results" / "page_weight.json"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BASELINE = "book/welcome.html"
CHAPTERS = [
    "book/introspection.html",
    "book/accountability.html",
    "book/listening.html",
    "book/earning-the-label.html",
]
# Records when the first widget (with a control) enters the page, from navigation start.
FIRST_WIDGET_PROBE = """
(() => {
  const seen = () => document.querySelector('.ally-w button, .ally-w input, .ally-w textarea');
  const observer = new MutationObserver(() => {
    if (window.__firstWidget === undefined && seen()) {
      window.__firstWidget = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, {childList: true, subtree: true});
})();
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def build_book(out: Path) -> Path:
    """The README's strict build, into ``out``; returns the HTML folder."""
    bin_dir = Path(sys.executable).parent
    command = [str(bin_dir / "jupyter-book"), "build", str(REPO), "--all", "-W", "-n"]
    subprocess.run([*command, "--keep-going", "--path-output", str(out)], check=True, cwd=REPO)
    return out / "_build" / "html"


def measure(browser: Any, url: str, widgets: bool) -> dict[str, float]:
    """One cold load of ``url``: bytes transferred and the times that matter."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(FIRST_WIDGET_PROBE)
    page = context.new_page()
    finished: list[Any] = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(url, wait_until="load")
    if widgets:
        page.wait_for_function("window.__firstWidget !== undefined", timeout=30_000)
    page.wait_for_load_state("networkidle")
    timing = page.evaluate(
        """() => { const n = performance.getEntriesByType('navigation')[0];
                   return {load: n.loadEventEnd, dcl: n.domContentLoadedEventEnd,
                           widget: window.__firstWidget ?? null}; }"""
    )
    total = 0
    for request in finished:
        sizes = request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    context.close()
    return {"bytes": total, "requests": len(finished), **timing}


def median_of(runs: list[dict[str, float]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def run(html: Path, runs: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    pages: dict[str, Any] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for path in [BASELINE, *CHAPTERS]:
                widgets = path != BASELINE
                samples = [measure(browser, f"{base}/{path}", widgets) for _ in range(runs)]
                pages[path] = {
                    "bytes": median_of(samples, "bytes"),
                    "requests": median_of(samples, "requests"),
                    "load_ms": median_of(samples, "load"),
                    "first_widget_ms": median_of(samples, "widget") if widgets else None,
                    "samples": samples,
                }
            browser.close()
    finally:
        server.shutdown()
    base_page = pages[BASELINE]
    for path in CHAPTERS:
        page = pages[path]
        page["bytes_ratio"] = page["bytes"] / base_page["bytes"]
        page["first_widget_vs_baseline_load"] = page["first_widget_ms"] / base_page["load_ms"]
    return {"baseline": BASELINE, "runs": runs, "pages": pages}


def report(results: dict[str, Any]) -> None:
    pages = results["pages"]
    base = pages[results["baseline"]]
    print(
        f"{'page':32} {'KiB':>8} {'req':>4} {'load ms':>8} {'widget ms':>9} "
        f"{'x bytes':>8} {'x time':>7}"
    )
    print(
        f"{results['baseline'] + ' (baseline)':32} {base['bytes'] / 1024:8.0f} "
        f"{base['requests']:4.0f} {base['load_ms']:8.0f} {'-':>9} {1:8.2f} {1:7.2f}"
    )
    for path in CHAPTERS:
        p = pages[path]
        print(
            f"{path:32} {p['bytes'] / 1024:8.0f} {p['requests']:4.0f} {p['load_ms']:8.0f} "
            f"{p['first_widget_ms']:9.0f} {p['bytes_ratio']:8.2f} "
            f"{p['first_widget_vs_baseline_load']:7.2f}"
        )
    print("x bytes: bytes / baseline bytes; x time: first widget / baseline load (medians)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, help="an already built book (default: build one)")
    parser.add_argument("--runs", type=int, default=3, help="cold loads per page (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="page-weight-") as tmp:
        html = args.html or build_book(Path(tmp))
        results = run(html, args.runs)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    report(results)
    print(f"written: {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
