"""History paging on 100,000 entries and directory keystroke-to-results in Chromium.

Registered in bench/run.py (rows in results.md); standalone:
    .venv/bin/python bench/bench_history_browser.py   (prints the rows)
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "backend"))
sys.path.insert(0, str(ROOT / "bench"))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from pbx.kamailio import Kamailio  # noqa: E402
from softphone.history.store import HistoryFilter, HistoryStore  # noqa: E402
from support.app_harness import UiClient, running_app, sign_in  # noqa: E402

# (name, value, unit, note): how run.py's Row is filled without importing run.py here.
Add = Callable[[str, float, str, str], None]

HISTORY_ROWS = 100_000
DIRECTORY_CONTACTS = 50_000
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def fill_history(path: Path, n: int) -> None:
    """n finished calls over two years, newest last; 15 % missed, as a busy desk has them."""
    HistoryStore(path).close()  # schema as the app makes it
    rng = random.Random(5)
    now_ms = int(time.time() * 1000)
    start = now_ms - 2 * 365 * 86_400_000
    step = (now_ms - start) // n
    rows = []
    for i in range(n):
        at = start + i * step + rng.randrange(step)
        outcome = "missed" if rng.random() < 0.15 else rng.choice(["answered"] * 8 + ["busy"])
        number = f"0{rng.randrange(21, 91)}{rng.randrange(1_000_000, 9_999_999)}"
        dur = rng.randrange(5, 900) if outcome == "answered" else 0
        rows.append(
            (
                f"bench-{i}",
                rng.choice(["incoming", "outgoing"]),
                number,
                f"Caller {i % 5000}",
                f"sip:{number}@pbx",
                at,
                at + 3000 if dur else None,
                at + 3000 + dur * 1000,
                dur,
                outcome,
                0,
                1,
            )
        )
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "INSERT INTO history (call_id, direction, number, display_name, remote_uri, started_at,"
            " answered_at, ended_at, duration_s, outcome, internal, seen)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    db.close()


def timed_ms(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def bench_history_store(work: Path, add: Add) -> None:
    path = work / "history-bench.sqlite3"
    fill_history(path, HISTORY_ROWS)
    opens = []
    for _ in range(5):
        t0 = time.perf_counter()
        store = HistoryStore(path)
        store.list(limit=50)
        opens.append((time.perf_counter() - t0) * 1000)
        store.close()
    add(
        f"history {HISTORY_ROWS:,} entries: open + first page (median of 5)",
        statistics.median(opens),
        "ms",
        "HistoryStore(), then 50 newest entries",
    )
    store = HistoryStore(path)
    for name, flt in (("all", HistoryFilter.ALL), ("missed only", HistoryFilter.MISSED)):
        pages: list[float] = []
        cursor = None
        for _ in range(300):  # 15,000 entries deep for "all"
            t0 = time.perf_counter()
            page = store.list(flt, cursor, 50)
            pages.append((time.perf_counter() - t0) * 1000)
            cursor = page.next_cursor
            if cursor is None:
                break
        add(
            f"history page of 50 ({name}), p95 over {len(pages)} successive pages",
            pct(pages, 95),
            "ms",
            f"p50 {pct(pages, 50):.2f} ms; keyset cursor, index only",
        )
    store.close()


def bench_history_wire_and_browser(pbx: Kamailio, work: Path, add: Add) -> None:
    with running_app(work / "hist-app") as app:
        ui = UiClient(app)
        assert sign_in(ui, pbx.port, "1006", pbx.users["1006"])["ok"]
        _bulk_into(app.history.path)
        samples, cursor = [], None
        for _ in range(100):
            args = {"limit": 50} if cursor is None else {"limit": 50, "before": cursor}
            t0 = time.perf_counter()
            reply = ui.command("history.list", **args)
            samples.append((time.perf_counter() - t0) * 1000)
            assert reply["ok"], reply
            cursor = reply["result"]["next_cursor"]
        ui.close()
        add(
            "history page of 50 over the wire (Socket.IO ack), p95 of 100 pages",
            pct(samples, 95),
            "ms",
            f"p50 {pct(samples, 50):.2f} ms; {HISTORY_ROWS:,} entries",
        )
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(app.url)
            page.get_by_text("Registered", exact=True).wait_for(timeout=15_000)
            # In the page: the tab's click to the frame after its first rows are in the DOM.
            first = float(page.evaluate(_OPEN_HISTORY))
            scrolls = _scroll_history(page, 20)
            browser.close()
        add(
            "browser: History tab click to first rows painted",
            first,
            "ms",
            f"Chromium, in-page clock; {HISTORY_ROWS:,} entries",
        )
        add(
            "browser: scroll to the end, next 50 rows shown, p95 of 20",
            pct(scrolls, 95),
            "ms",
            f"p50 {pct(scrolls, 50):.1f} ms; infinite scroll (IntersectionObserver)",
        )


_OPEN_HISTORY = """() => new Promise((resolve) => {
    const t0 = performance.now();
    const obs = new MutationObserver(() => {
        if (document.querySelector('.history-row')) {
            obs.disconnect();
            requestAnimationFrame(() => resolve(performance.now() - t0));
        }
    });
    obs.observe(document.body, {childList: true, subtree: true});
    document.getElementById('tab-history').click();
})"""


def _bulk_into(path: Path) -> None:
    """The running app's own history file gets the 100k rows (WAL: readers see them)."""
    tmp = path.with_name("bulk.sqlite3")
    fill_history(tmp, HISTORY_ROWS)
    db = sqlite3.connect(path)
    with db:
        db.execute("ATTACH DATABASE ? AS bulk", (str(tmp),))
        db.execute(
            "INSERT INTO history (call_id, direction, number, display_name, remote_uri, started_at,"
            " answered_at, ended_at, duration_s, outcome, internal, seen) SELECT call_id,"
            " direction, number, display_name, remote_uri, started_at, answered_at, ended_at,"
            " duration_s, outcome, internal, seen FROM bulk.history"
        )
    db.execute("DETACH DATABASE bulk")
    db.close()


def _scroll_history(page: Page, times: int) -> list[float]:
    """Scrolls the list to its end and times until the next page's rows are in the DOM."""
    out = []
    rows = page.locator(".history-row")
    for _ in range(times):
        before = rows.count()
        ms = page.evaluate(
            """(before) => new Promise((resolve) => {
                const list = document.querySelector('.history__scroll');
                const t0 = performance.now();
                const done = () => document.querySelectorAll('.history-row').length > before;
                const obs = new MutationObserver(() => {
                    if (done()) { obs.disconnect();
                        requestAnimationFrame(() => resolve(performance.now() - t0)); }
                });
                obs.observe(list, {childList: true, subtree: true});
                list.scrollTop = list.scrollHeight;
            })""",
            before,
        )
        out.append(float(ms))
    return out


def bench_directory_browser(pbx: Kamailio, work: Path, add: Add) -> None:
    """Keystroke in the Directory tab's search field to the matching first row painted."""
    from bench_directory import make_contacts, queries  # the same people and queries

    with running_app(work / "dir-app") as app:
        ui = UiClient(app)
        assert sign_in(ui, pbx.port, "1007", pbx.users["1007"])["ok"]
        ui.close()
        app.directory.store.upsert(make_contacts(DIRECTORY_CONTACTS))
        rng = random.Random(3)
        cases = []
        for q in queries(rng)[:120]:
            found = app.directory.search(q, 50)
            if found:
                cases.append((q, found[0].name(app.settings.settings.directory_order)))
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(app.url)
            page.get_by_text("Registered", exact=True).wait_for(timeout=15_000)
            page.get_by_role("tab", name="Directory").click()
            page.get_by_test_id("directory-search").wait_for()
            samples = []
            for query, first_name in cases:
                samples.append(float(page.evaluate(_TYPE_AND_WAIT, [query, first_name])))
            browser.close()
    add(
        f"browser: directory keystroke to first result painted, p95 ({DIRECTORY_CONTACTS:,})",
        pct(samples, 95),
        "ms",
        f"p50 {pct(samples, 50):.1f} ms over {len(samples)} queries; includes the 120 ms"
        " typing debounce",
    )


# From a no-match state (no rows) the query is "typed" (one input event, as Preact sees a
# keystroke); the clock stops at the first frame after the first row shows the expected name.
_TYPE_AND_WAIT = """([query, expected]) => new Promise((resolve, reject) => {
    const input = document.querySelector('[data-testid="directory-search"]');
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    const type = (text) => {
        setter.call(input, text);
        input.dispatchEvent(new Event('input', {bubbles: true}));
    };
    const rows = () => document.querySelectorAll('[data-testid="contact-row"]');
    const firstName = () => rows()[0]?.querySelector('.contact-row__name')?.textContent;
    const waitFor = (cond, ms) => new Promise((ok, fail) => {
        if (cond()) return ok();
        const obs = new MutationObserver(() => { if (cond()) { obs.disconnect(); ok(); } });
        obs.observe(document.body, {childList: true, subtree: true, characterData: true});
        setTimeout(() => { obs.disconnect(); fail(new Error('timeout')); }, ms);
    });
    type('zzqqzzqq');
    waitFor(() => rows().length === 0, 5000).then(() => {
        const t0 = performance.now();
        type(query);
        return waitFor(() => firstName() === expected, 5000).then(
            () => requestAnimationFrame(() => resolve(performance.now() - t0)));
    }).catch(reject);
})"""


def run_all(pbx: Kamailio, work: Path, add: Add) -> None:
    bench_history_store(work, add)
    bench_history_wire_and_browser(pbx, work, add)
    bench_directory_browser(pbx, work, add)


if __name__ == "__main__":
    import tempfile

    import keyring

    from support.memory_keyring import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())
    with (
        tempfile.TemporaryDirectory(prefix="bench-hb-") as tmp,
        Kamailio(work_dir=Path(tmp) / "kamailio", tls=False) as pbx,
    ):
        run_all(pbx, Path(tmp), lambda n, v, u, note: print(f"| {n} | {v:.2f} {u} | {note} |"))
