"""`python -m devtools.sample_site [--port N]`: serve the sample site until Ctrl-C."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from devtools.sample_site import SampleSite


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.sample_site", description="Serve the bundled sample news site."
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument(
        "--sources", type=Path, help="also write a sources file pointing at the site"
    )
    args = parser.parse_args(argv)
    with SampleSite(args.host, args.port) as site:
        # Write the sources file first: whoever reads our first line may use the site at once.
        sources = site.write_sources_yaml(args.sources) if args.sources else None
        count = len(site.article_urls())
        print(f"Sample news site: {site.base_url}/ ({count} articles)", flush=True)
        if sources:
            print(f"Sources file: {sources}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
