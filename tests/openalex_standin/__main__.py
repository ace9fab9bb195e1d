"""Run the stand-in by hand: `.venv/bin/python -m openalex_standin --port 8765` from tests/ (or with tests/ on
PYTHONPATH), then point the warehouse at it with OPENALEX_API_URL=http://127.0.0.1:8765."""

import argparse
import time

from . import StandIn, load_dataset

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--port", type=int, default=8765)
parser.add_argument("--demo-works", type=int, default=6000)
parser.add_argument("--seed", type=int, default=2023)
parser.add_argument("--api-key", default="standin-test-key", help="the key clients must send ('' accepts any)")
args = parser.parse_args()
server = StandIn(load_dataset(args.demo_works, args.seed), api_key=args.api_key or None, port=args.port).start()
print(f"OpenAlex stand-in on {server.url} (works: {len(server.dataset.works)})", flush=True)
try:
    while True:
        time.sleep(3600)
except KeyboardInterrupt:
    server.stop()
