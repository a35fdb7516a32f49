"""Scratch projects for the recurring failures in `learning_recurring_a.py`.

Each project is the file tree every session of it starts from: small Python programs whose
failures are real. `orders-api` and `invoice-worker` read DATABASE_URL from the environment
(the first also from `.env`); `linkshort` and `blog-export` import `slugkit`, a package shipped
under `vendor/` but not installed; `logship` and `feedsync` reject the log level their config
file sets; `pricing-engine` and `timesheet` have a bug in the code that a test catches.
"""

from __future__ import annotations

from .scenarios import source

ORDERS_API = {
    "README.md": "# orders-api\n\nDaily order summaries for the shop.\n\n    python app.py\n",
    ".gitignore": ".env\n*.db\n",
    ".env.example": "DATABASE_URL=sqlite:///orders.db\nREPORT_CURRENCY=EUR\n",
    "orders.csv": "id,customer,amount\nA-1001,Ada,19.90\nA-1002,Grace,42.50\nA-1003,Linus,7.25\nA-1004,Ada,12.00\n",
    "settings.py": source(
        '''
        """Settings for the orders service, read from the environment (and from `.env` when present)."""

        import os
        from pathlib import Path


        def _load_dotenv(path=".env"):
            env_file = Path(path)
            if not env_file.exists():
                return
            for line in env_file.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith("#") and "=" in line:
                    name, value = line.split("=", 1)
                    os.environ.setdefault(name.strip(), value.strip())


        _load_dotenv()

        DATABASE_URL = os.environ["DATABASE_URL"]
        REPORT_CURRENCY = os.environ.get("REPORT_CURRENCY", "EUR")
        '''
    ),
    "app.py": source(
        '''
        """Daily orders summary: load today's orders into the database and print the totals."""

        import csv
        import sqlite3

        import settings


        def connect(url):
            if not url.startswith("sqlite:///"):
                raise SystemExit(f"unsupported database URL: {url}")
            return sqlite3.connect(url.removeprefix("sqlite:///"))


        def load_orders(db, path="orders.csv"):
            db.execute("CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, customer TEXT, amount REAL)")
            with open(path, encoding="utf-8") as handle:
                rows = [(r["id"], r["customer"], float(r["amount"])) for r in csv.DictReader(handle)]
            db.executemany("INSERT OR REPLACE INTO orders VALUES (?, ?, ?)", rows)
            db.commit()


        def summary(db):
            count, total = db.execute("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM orders").fetchone()
            return f"orders: {count}  total: {total:.2f} {settings.REPORT_CURRENCY}"


        if __name__ == "__main__":
            db = connect(settings.DATABASE_URL)
            load_orders(db)
            print(summary(db))
        '''
    ),
}

INVOICE_WORKER = {
    "README.md": "# invoice-worker\n\nBuilds and sends the monthly invoices.\n\n"
    "    python send_invoices.py --dry-run\n",
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\ntestpaths = ["tests"]\n',
    "customers.csv": "email,hours,rate\nops@acme.test,12,80\nbilling@globex.test,7.5,95\nhello@initech.test,20,60\n",
    "invoices/__init__.py": '"""Monthly invoicing."""\n',
    "invoices/db.py": source(
        '''
        """Database access for the invoice worker."""

        import os
        import sqlite3

        DATABASE_URL = os.environ["DATABASE_URL"]


        def connect():
            return sqlite3.connect(DATABASE_URL.removeprefix("sqlite:///"))


        def ensure_schema(conn):
            conn.execute("CREATE TABLE IF NOT EXISTS invoices (number TEXT PRIMARY KEY, email TEXT, total REAL)")


        def record(conn, invoice):
            conn.execute("INSERT OR REPLACE INTO invoices VALUES (?, ?, ?)", invoice)
            conn.commit()
        '''
    ),
    "invoices/totals.py": source(
        '''
        """Invoice amounts."""

        VAT_RATE = 0.2


        def invoice_total(hours, rate, vat_rate=VAT_RATE):
            return round(hours * rate * (1 + vat_rate), 2)
        '''
    ),
    "send_invoices.py": source(
        '''
        """Build this month's invoices from customers.csv and send them (or print them with --dry-run)."""

        import argparse
        import csv

        from invoices import db
        from invoices.totals import invoice_total


        def build_invoices(path="customers.csv"):
            with open(path, encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
            return [
                (f"INV-{n:04d}", row["email"], invoice_total(float(row["hours"]), float(row["rate"])))
                for n, row in enumerate(rows, start=1)
            ]


        def main(argv=None):
            parser = argparse.ArgumentParser(description=__doc__)
            parser.add_argument("--dry-run", action="store_true", help="print the invoices instead of sending them")
            args = parser.parse_args(argv)
            conn = db.connect()
            db.ensure_schema(conn)
            invoices = build_invoices()
            for number, email, total in invoices:
                if args.dry_run:
                    print(f"would send {number} to {email}: {total:.2f}")
                else:
                    db.record(conn, (number, email, total))
            print(f"{len(invoices)} invoice(s) {'prepared' if args.dry_run else 'sent'}")


        if __name__ == "__main__":
            main()
        '''
    ),
    "tests/test_totals.py": source(
        """
        from invoices.totals import invoice_total


        def test_adds_vat():
            assert invoice_total(10, 100) == 1200.0
        """
    ),
    "tests/test_send.py": source(
        """
        from send_invoices import build_invoices


        def test_one_invoice_per_customer():
            assert [number for number, _, _ in build_invoices()] == ["INV-0001", "INV-0002", "INV-0003"]
        """
    ),
}

SLUGKIT = {
    "vendor/slugkit/pyproject.toml": source(
        """
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "slugkit"
        version = "0.4.1"
        description = "Slugs for titles and links (internal)"
        requires-python = ">=3.9"
        """
    ),
    "vendor/slugkit/README.md": "# slugkit\n\nInternal helpers for URL slugs. Vendored; not published.\n",
    "vendor/slugkit/slugkit/__init__.py": source(
        '''
        """URL slugs for titles."""

        import re
        import unicodedata

        __version__ = "0.4.1"


        def slugify(text, max_length=60):
            ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
            slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
            return slug[:max_length].rstrip("-")
        '''
    ),
}

LINKSHORT = {
    **SLUGKIT,
    "README.md": "# linkshort\n\nShort links for the marketing site.\n\n    python shorten.py urls.txt\n",
    ".gitignore": "links.json\n.deps/\n",
    "urls.txt": source(
        """
        Spring Sale 2024 | https://shop.example.com/campaigns/spring-sale-2024?utm_source=mail
        Café Opening Hours | https://shop.example.com/pages/cafe-opening-hours
        New: Gift Cards! | https://shop.example.com/products/gift-cards
        """
    ),
    "shorten.py": source(
        '''
        """Turn "title | url" lines into short links and write them to links.json."""

        import json
        import sys

        from slugkit import slugify


        def short_links(lines):
            links = {}
            for line in lines:
                if "|" in line:
                    title, url = (part.strip() for part in line.split("|", 1))
                    links[f"/go/{slugify(title, max_length=24)}"] = url
            return links


        if __name__ == "__main__":
            with open(sys.argv[1], encoding="utf-8") as handle:
                links = short_links(handle)
            with open("links.json", "w", encoding="utf-8") as out:
                json.dump(links, out, indent=2)
            for short, url in links.items():
                print(f"{short} -> {url}")
        '''
    ),
}

BLOG_EXPORT = {
    **SLUGKIT,
    "README.md": "# blog-export\n\nExports the blog's markdown posts to static HTML pages.\n\n    python build.py\n",
    ".gitignore": "public/\n.venv/\n",
    "posts/hello-world.md": "# Hello, World!\n\nWe finally have a blog.\n",
    "posts/release-notes.md": "# Release Notes: Version 2.0\n\nFaster pages and a dark theme.\n",
    "posts/why-we-moved.md": "# Why We Moved to Zürich\n\nA short story about a long move.\n",
    "build.py": source(
        '''
        """Export posts/*.md to public/<slug>.html, one page per post."""

        import html
        from pathlib import Path

        from slugkit import slugify


        def render(markdown):
            title, _, body = markdown.partition("\\n")
            title = title.lstrip("# ").strip()
            paragraphs = "".join(f"<p>{html.escape(p.strip())}</p>" for p in body.split("\\n\\n") if p.strip())
            return title, f"<h1>{html.escape(title)}</h1>{paragraphs}"


        def build(posts=Path("posts"), out=Path("public")):
            out.mkdir(exist_ok=True)
            written = []
            for post in sorted(posts.glob("*.md")):
                title, page = render(post.read_text(encoding="utf-8"))
                target = out / f"{slugify(title)}.html"
                target.write_text(page, encoding="utf-8")
                written.append(target)
            return written


        if __name__ == "__main__":
            pages = build()
            for page in pages:
                print(page)
            print(f"wrote {len(pages)} page(s) to public/")
        '''
    ),
}

LOGSHIP = {
    "README.md": "# logship\n\nShips application logs to the archive in batches. Settings live in settings.toml.\n",
    "settings.toml": source(
        """
        # logship settings
        source = "app.log"
        destination = "archive"
        batch_size = 2
        log_level = "verbose"
        """
    ),
    "app.log": "".join(f"2024-06-0{d} 09:00:00 INFO checkout ok order={d * 7}\n" for d in range(1, 6)),
    "logship.py": source(
        '''
        """Ship the configured log file into the archive folder, in batches of lines."""

        import argparse
        import logging
        import tomllib
        from pathlib import Path

        LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
        log = logging.getLogger("logship")


        def load_settings(path="settings.toml"):
            with open(path, "rb") as handle:
                settings = tomllib.load(handle)
            level = settings.get("log_level", "info")
            if level not in LEVELS:
                raise ValueError(f"unknown log level {level!r} (expected one of: {', '.join(LEVELS)})")
            return settings


        def ship(settings):
            lines = Path(settings["source"]).read_text(encoding="utf-8").splitlines(keepends=True)
            archive = Path(settings["destination"])
            archive.mkdir(exist_ok=True)
            size = settings["batch_size"]
            batches = [lines[i : i + size] for i in range(0, len(lines), size)]
            for number, batch in enumerate(batches, start=1):
                (archive / f"batch-{number:03d}.log").write_text("".join(batch), encoding="utf-8")
                log.debug("batch %d: %d line(s)", number, len(batch))
            return len(lines), len(batches)


        def main(argv=None):
            parser = argparse.ArgumentParser(description=__doc__)
            parser.add_argument("command", choices=["ship", "check"])
            args = parser.parse_args(argv)
            settings = load_settings()
            logging.basicConfig(level=LEVELS[settings.get("log_level", "info")], format="%(levelname)s %(message)s")
            if args.command == "check":
                print("settings ok")
                return
            lines, batches = ship(settings)
            print(f"shipped {lines} line(s) in {batches} batch(es) to {settings['destination']}/")


        if __name__ == "__main__":
            main()
        '''
    ),
}

FEEDSYNC = {
    "README.md": "# feedsync\n\nCollects the newest items of our RSS feeds into items.json.\n\n"
    "    python feedsync.py --once\n",
    "config.json": source(
        """
        {
          "feeds": ["feeds/engineering.xml", "feeds/product.xml"],
          "output": "items.json",
          "max_items": 10,
          "log_level": "verbose"
        }
        """
    ),
    "feeds/engineering.xml": source(
        """
        <rss><channel><title>Engineering</title>
        <item><title>Faster builds with caching</title><link>https://blog.example.com/e/1</link></item>
        <item><title>Our on-call handbook</title><link>https://blog.example.com/e/2</link></item>
        </channel></rss>
        """
    ),
    "feeds/product.xml": source(
        """
        <rss><channel><title>Product</title>
        <item><title>Dark mode is here</title><link>https://blog.example.com/p/1</link></item>
        </channel></rss>
        """
    ),
    "feedsync.py": source(
        '''
        """Read the configured RSS feeds and write their items to one JSON file."""

        import argparse
        import json
        import logging
        import xml.etree.ElementTree as ET

        VALID_LEVELS = ("debug", "info", "warning", "error")


        def load_config(path="config.json"):
            with open(path, encoding="utf-8") as handle:
                config = json.load(handle)
            if config.get("log_level", "info") not in VALID_LEVELS:
                raise ValueError(f"unknown log level {config['log_level']!r}; use one of {', '.join(VALID_LEVELS)}")
            return config


        def items(feed_path):
            channel = ET.parse(feed_path).getroot().find("channel")
            return [{"feed": channel.findtext("title"), "title": i.findtext("title"), "link": i.findtext("link")}
                    for i in channel.iter("item")]


        def sync(config):
            collected = [item for feed in config["feeds"] for item in items(feed)][: config["max_items"]]
            with open(config["output"], "w", encoding="utf-8") as out:
                json.dump(collected, out, indent=2)
            logging.debug("wrote %s", config["output"])
            return len(collected)


        def main(argv=None):
            parser = argparse.ArgumentParser(description=__doc__)
            parser.add_argument("--once", action="store_true", help="sync once and exit")
            parser.parse_args(argv)
            config = load_config()
            logging.basicConfig(level=config.get("log_level", "info").upper())
            count = sync(config)
            print(f"synced {count} item(s) from {len(config['feeds'])} feed(s) into {config['output']}")


        if __name__ == "__main__":
            main()
        '''
    ),
}

PRICING_ENGINE = {
    "README.md": "# pricing-engine\n\nList and bulk prices for the wholesale shop.\n",
    "pyproject.toml": source(
        """
        [project]
        name = "pricing"
        version = "1.3.0"

        [tool.pytest.ini_options]
        pythonpath = ["src"]
        testpaths = ["tests"]
        """
    ),
    "src/pricing/__init__.py": '"""Wholesale pricing."""\n',
    "src/pricing/tiers.py": source(
        '''
        """Bulk pricing: orders of BULK_THRESHOLD items or more get BULK_DISCOUNT off the unit price."""

        BULK_THRESHOLD = 10
        BULK_DISCOUNT = 0.10


        def unit_price(base, quantity):
            if quantity > BULK_THRESHOLD:
                return round(base * (1 - BULK_DISCOUNT), 2)
            return base


        def order_total(base, quantity):
            return round(unit_price(base, quantity) * quantity, 2)
        '''
    ),
    "tests/test_tiers.py": source(
        """
        from pricing.tiers import order_total, unit_price


        def test_small_orders_pay_list_price():
            assert unit_price(10.0, 3) == 10.0


        def test_bulk_rate_starts_at_ten_items():
            assert unit_price(10.0, 10) == 9.0


        def test_order_total_applies_bulk_rate():
            assert order_total(10.0, 12) == 108.0
        """
    ),
}

TIMESHEET = {
    "README.md": "# timesheet\n\nFormats tracked time for the weekly timesheet export.\n",
    "durations.py": source(
        '''
        """Human-readable durations for the timesheet export, e.g. 3725 seconds -> "1h 2m 5s"."""


        def format_duration(seconds):
            hours = seconds // 3600
            minutes = seconds // 60
            secs = seconds % 60
            parts = []
            if hours:
                parts.append(f"{hours}h")
            if minutes:
                parts.append(f"{minutes}m")
            if secs or not parts:
                parts.append(f"{secs}s")
            return " ".join(parts)
        '''
    ),
    "test_durations.py": source(
        """
        from durations import format_duration


        def test_seconds_only():
            assert format_duration(42) == "42s"


        def test_minutes_and_seconds():
            assert format_duration(125) == "2m 5s"


        def test_hours_minutes_seconds():
            assert format_duration(3725) == "1h 2m 5s"
        """
    ),
}
