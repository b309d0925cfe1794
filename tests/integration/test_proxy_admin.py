#!/usr/bin/python3
"""INFO commandstats / latencystats and SLOWLOG answered by the proxy from its own figures
(every worker's), on the embedded default."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402,F401
from harness import RawClient  # noqa: E402
from test_proxy_client import embedded_proxy  # noqa: E402


def info_lines(client, section):
    raw = client.call("INFO", section).decode()
    body = raw.split("\r\n", 1)[1]
    return [line for line in body.split("\r\n") if line and not line.startswith("$")]


def main():
    with embedded_proxy(workers=2, extra_yaml="slowlog:\n  threshold: 0\n  max_len: 16\n") as (
            port, _):
        with RawClient(port) as c:
            assert c.call("SET", "admin:k", "v") == b"+OK\r\n"
            assert c.call("GET", "admin:k") == b"$1\r\nv\r\n"
            assert c.call("GET", "admin:k") == b"$1\r\nv\r\n"
            assert c.call("NOSUCHCMD").startswith(b"-ERR unknown command")
            stats = info_lines(c, "commandstats")
            assert stats[0] == "# Commandstats", stats
            get = [s for s in stats if s.startswith("cmdstat_get:")]
            assert get and get[0].startswith("cmdstat_get:calls=2,usec="), stats
            assert any(s.startswith("cmdstat_set:calls=1,") for s in stats), stats
            latency = info_lines(c, "latencystats")
            assert latency[0] == "# Latencystats", latency
            assert any(s.startswith("latency_percentiles_usec_get:p50=") for s in latency)
            # Threshold 0: every request is slow. Entries: id, time, usec, args, addr, name,
            # then the proxy's own proxy_usec and backend_usec.
            length = int(c.call("SLOWLOG", "LEN")[1:-2])
            assert length >= 4, length
            entry = c.call("SLOWLOG", "GET", "1")
            assert entry.startswith(b"*1\r\n*8\r\n"), entry
            assert c.call("SLOWLOG", "RESET") == b"+OK\r\n"
            assert int(c.call("SLOWLOG", "LEN")[1:-2]) <= 1
            assert c.call("SLOWLOG", "NOPE").startswith(b"-ERR unknown subcommand 'NOPE'")
    print("ok")


if __name__ == "__main__":
    main()
