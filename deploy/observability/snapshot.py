"""The Grafana dashboard drawn as one PNG with matplotlib, from a real Prometheus (the docs' screenshot),
and a bounded buyer load to give it something to show.

    python deploy/observability/snapshot.py traffic --url http://127.0.0.1:PORT --store demo --seconds 180
    python deploy/observability/snapshot.py render --prometheus http://127.0.0.1:9090 --minutes 10 \
        --out docs/observability/dashboard.png

`render` lays the panels of deploy/observability/grafana/dukaan.json out on Grafana's 24-column grid
and fills each with `/api/v1/query_range` of its queries over the last --minutes (the dashboard's
variables set to every region and instance). `traffic` sends store pages, searches and a few API
checkouts through the cluster's nginx from --concurrency threads, loopback only, for --seconds.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import random
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parent / "grafana" / "dukaan.json"
GRID_COLUMN_PX, GRID_ROW_PX = 80, 30  # Grafana's grid on a 1920-pixel-wide screen
BACKGROUND, PANEL, TEXT, MUTED = "#111217", "#181b1f", "#ccccdc", "#8e8e9e"
COLOURS = ["#73bf69", "#f2cc0c", "#5794f2", "#ff780a", "#f2495c", "#b877d9", "#8ab8ff", "#fade2a"]


# --- render ----------------------------------------------------------------------------------------------


def query_range(prometheus: str, expr: str, start: float, end: float, step: float) -> list[dict]:
    """The result of one range query: [{metric: {labels}, values: [[t, "v"], …]}, …]."""
    arguments = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
    try:
        with urllib.request.urlopen(f"{prometheus}/api/v1/query_range?{arguments}", timeout=30) as answer:
            body = json.load(answer)
    except urllib.error.HTTPError as error:
        raise SystemExit(f"Prometheus refused {expr!r}: {error.read().decode()[:300]}") from None
    except OSError as error:
        raise SystemExit(f"cannot reach Prometheus at {prometheus} ({error}): is it running?") from None
    return body["data"]["result"]


def with_variables(expr: str, rate_interval: str) -> str:
    """The query as Grafana sends it with every region and instance selected."""
    return expr.replace("$__rate_interval", rate_interval).replace("$region", ".*").replace("$instance", ".*")


def legend(template: str, labels: dict[str, str]) -> str:
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda match: labels.get(match[1], ""), template).strip() or "value"


def formatted(value: float, unit: str) -> str:
    if value != value:  # NaN
        return "–"
    if unit == "percentunit":
        return f"{value * 100:.3g} %"
    if unit == "s":
        return f"{value * 1000:.3g} ms" if abs(value) < 1 else f"{value:.3g} s"
    if unit == "bytes":
        for suffix in ("B", "KiB", "MiB", "GiB"):
            if abs(value) < 1024 or suffix == "GiB":
                return f"{value:.3g} {suffix}"
            value /= 1024
    return f"{value:.3g}"


def render(prometheus: str, minutes: float, out: Path, rate_interval: str) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    board = json.loads(DASHBOARD.read_text())
    end = time.time()
    start = end - minutes * 60
    step = max(5.0, minutes * 60 / 240)
    rows = max(panel["gridPos"]["y"] + panel["gridPos"]["h"] for panel in board["panels"])
    width_px, height_px = 24 * GRID_COLUMN_PX, rows * GRID_ROW_PX + 60
    figure = plt.figure(figsize=(width_px / 100, height_px / 100), dpi=100, facecolor=BACKGROUND)
    taken_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(end))
    figure.text(
        0.005,
        1 - 20 / height_px,
        f"{board['title']}  ·  last {minutes:g} minutes  ·  {taken_at}",
        color=TEXT,
        fontsize=14,
        weight="bold",
        va="center",
    )
    empty = []
    for panel in board["panels"]:
        box = panel["gridPos"]
        left, width = box["x"] / 24, box["w"] / 24
        top = (60 + box["y"] * GRID_ROW_PX) / height_px
        height = box["h"] * GRID_ROW_PX / height_px
        if panel["type"] == "row":
            figure.text(
                left + 0.004, 1 - top - height / 2, panel["title"], color=TEXT, fontsize=13, va="center"
            )
            continue
        # Room inside the panel for its title, axis labels and legend.
        axes = figure.add_axes(
            [left + 0.025, 1 - top - height + 0.32 * height, width - 0.035, height * 0.52], facecolor=PANEL
        )
        figure.patches.append(
            plt.Rectangle(
                (left + 0.002, 1 - top - height + 0.004),
                width - 0.004,
                height - 0.008,
                transform=figure.transFigure,
                facecolor=PANEL,
                edgecolor="#2c3235",
                zorder=-1,
            )
        )
        figure.text(
            left + 0.008, 1 - top - 0.012 * 30 / rows, panel["title"], color=TEXT, fontsize=10, va="top"
        )
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
        series = []
        for target in panel["targets"]:
            for result in query_range(
                prometheus, with_variables(target["expr"], rate_interval), start, end, step
            ):
                times = [float(stamp) for stamp, _ in result["values"]]
                values = [float(value) for _, value in result["values"]]
                series.append((legend(target.get("legendFormat", ""), result["metric"]), times, values))
        for spine in axes.spines.values():
            spine.set_visible(False)
        axes.tick_params(colors=MUTED, labelsize=7)
        if not series:
            empty.append(panel["title"])
            axes.set_xticks([])
            axes.set_yticks([])
            axes.text(0.5, 0.5, "No data", color=MUTED, ha="center", va="center", transform=axes.transAxes)
            continue
        if panel["type"] == "stat":
            axes.set_xticks([])
            axes.set_yticks([])
            for index, (name, _, values) in enumerate(series):
                colour = "#73bf69" if values[-1] >= 0.5 else "#ff780a" if values[-1] >= 0 else "#f2495c"
                x = (index + 0.5) / len(series)
                axes.text(
                    x,
                    0.55,
                    formatted(values[-1], unit),
                    color=colour,
                    fontsize=18,
                    ha="center",
                    weight="bold",
                )
                axes.text(x, 0.2, name, color=MUTED, fontsize=8, ha="center")
            continue
        for index, (name, times, values) in enumerate(series[:8]):
            minutes_ago = [(stamp - end) / 60 for stamp in times]
            axes.plot(minutes_ago, values, color=COLOURS[index % len(COLOURS)], linewidth=1.3, label=name)
        axes.set_xlim(-minutes, 0)
        axes.grid(color="#2c3235", linewidth=0.6)
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _, unit=unit: formatted(value, unit)))
        axes.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g} min"))
        axes.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            ncol=min(len(series), 4),
            fontsize=7,
            frameon=False,
            labelcolor=TEXT,
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, facecolor=BACKGROUND)
    print(
        f"{out}: {len(board['panels'])} panels; without data: {', '.join(empty) or 'none'}", file=sys.stderr
    )
    return 0


# --- traffic ---------------------------------------------------------------------------------------------


def ask_login_code(url: str, phone: str) -> str:
    """One login code asked for on /login/ as a browser would (CSRF cookie and token): sent (on to the
    code's form) or refused (the form again, with the limit's reason)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    try:
        form = opener.open(f"{url}/login/", timeout=10).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "phone": phone}).encode()
        answer = opener.open(urllib.request.Request(f"{url}/login/", data=data), timeout=10)
        return "sent" if answer.geturl().endswith("/login/verify/") else f"refused {answer.status}"
    except urllib.error.HTTPError as error:
        return str(error.code)
    except (OSError, TypeError) as error:
        return f"error {type(error).__name__}"


def traffic(url: str, store: str, seconds: float, concurrency: int, checkout_every: int, logins: int) -> int:
    """A bounded buyer load through nginx: pages, searches, and one API checkout every --checkout-every
    requests of a thread; beside it --logins login codes asked for by merchants. Prints the answers."""
    address = urllib.parse.urlsplit(url)
    if address.hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit(f"{url}: traffic goes to this machine only (127.0.0.1)")
    try:
        with urllib.request.urlopen(f"{url}/api/v1/stores/{store}/products?limit=50", timeout=10) as answer:
            products = json.load(answer)["items"]
    except OSError as error:
        raise SystemExit(
            f"cannot list the products of {store!r} at {url} ({error}): is the cluster up?"
        ) from None
    pages = [f"/s/{store}/", f"/s/{store}/search?q=cotton", f"/s/{store}/search?q=kurta"]
    pages += [f"/s/{store}/p/{product['id']}/" for product in products]
    pages += sorted(
        {f"/s/{store}/c/{product['category_id']}/" for product in products if product["category_id"]}
    )
    simple = [product for product in products if not product["variants"]]
    answers: Counter[str] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def buyer(number: int) -> None:
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        sent = 0
        while time.monotonic() < deadline:
            sent += 1
            try:
                if simple and sent % checkout_every == 0:
                    product = random.choice(simple)
                    body = json.dumps({
                        "lines": [{"product_id": product["id"], "quantity": 1}],
                        "buyer": {"name": "Load Buyer", "phone": "+919812300042", "address": "1 Test Lane",
                                  "pin_code": "560001"},
                        "payment_method": "cod",
                    })  # fmt: skip
                    headers = {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
                    connection.request("POST", f"/api/v1/stores/{store}/orders", body, headers)
                    kind = "checkout"
                else:
                    connection.request("GET", random.choice(pages))
                    kind = "page"
                response = connection.getresponse()
                response.read()
                outcome = f"{kind} {response.status}"
            except (OSError, http.client.HTTPException) as error:
                outcome = f"error {type(error).__name__}"
                connection.close()
                connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
            with lock:
                answers[outcome] += 1
        connection.close()

    def merchants() -> None:
        """Login codes asked for on the web form, a few numbers over and over: sent, then refused."""
        for number in range(logins):
            outcome = ask_login_code(url, f"+91981230{number % 5:04d}")
            with lock:
                answers[f"login {outcome}"] += 1
            time.sleep(max(0.0, seconds / max(logins, 1) - 0.1))

    with ThreadPoolExecutor(concurrency + 1) as pool:
        waiting = [pool.submit(buyer, number) for number in range(concurrency)] + [pool.submit(merchants)]
        for future in waiting:
            future.result()
    print(json.dumps(dict(sorted(answers.items()))))
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    draw = commands.add_parser("render", help="the dashboard as a PNG from Prometheus")
    draw.add_argument("--prometheus", default="http://127.0.0.1:9090")
    draw.add_argument("--minutes", type=float, default=10)
    draw.add_argument("--rate-interval", default="1m", help="what $__rate_interval stands for")
    draw.add_argument("--out", type=Path, default=Path("docs/observability/dashboard.png"))
    load = commands.add_parser("traffic", help="buyers through the cluster's nginx for a while")
    load.add_argument("--url", required=True, help="the cluster's entry, http://127.0.0.1:PORT")
    load.add_argument("--store", default="demo")
    load.add_argument("--seconds", type=float, default=180)
    load.add_argument("--concurrency", type=int, default=4)
    load.add_argument("--checkout-every", type=int, default=200)
    load.add_argument("--logins", type=int, default=30)
    options = parser.parse_args(argv)
    if options.command == "render":
        return render(options.prometheus.rstrip("/"), options.minutes, options.out, options.rate_interval)
    return traffic(
        options.url.rstrip("/"),
        options.store,
        options.seconds,
        options.concurrency,
        options.checkout_every,
        options.logins,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
