"""Container health check: exit 0 when /health/ answers 200 (the database is reachable).

Sends the first of ALLOWED_HOSTS as Host, because Django refuses any other host name;
/health/ is exempt from the HTTPS redirect, so plain HTTP on loopback is enough.
"""

import os
import sys
import urllib.request


def main() -> int:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    # ".example.org" allows every sub-domain; "*" allows anything.
    host = next((h.lstrip(".") for h in hosts if h != "*"), "localhost")
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/health/", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (fixed URL)
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"health check failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
