"""Verdict quality on a mixed loopback web of rot that looks alive, ordinary rot and healthy pages.

    .venv/bin/python benchmarks/rot_traps.py [--copies 3] [--table]

The web is tests/support/rot_traps.py (RotTrapWeb): `--copies` copies of every case (meta refresh and
script redirects to the root, a redirect to the search page, empty and boilerplate-only pages, expired
and for-sale domains in four languages, a 451, a client-side redirect loop; 404, 410, an HTTP redirect
to the root, a persistent 500, a foreign soft 404 echoing its path; hijacked spam, a rewrite, a real
edit; and healthy, slow, challenged, lightly corrected, trailing-slash and client-moved pages that must
stay healthy). One citing article is archived in round 1 (all pages healthy), then checked three times
over 72 h in round 2 (everything turned), and the verdicts after the third check are scored:

* drifted precision - of the links called `drifted`, the share whose truth is drifted;
* dead recall       - of the links whose truth is dead or rotten, the share called dead or rotten;
* false verdicts    - dead, rotten or drifted verdicts on the healthy group (healthy, slow, challenged,
                      corrected, redirected, legally blocked pages): each one is a false alarm.

Targets (issue 18): drifted precision >= 0.95, dead recall >= 0.95, no false verdict.
A measurement to read, not a test: nothing fails when a number is worse.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "tests")]

from support.rot_traps import RotTrapWeb, run_rounds, settings_for

DEAD = ("dead", "rotten")
FALSE = ("dead", "rotten", "drifted")


def score(web: RotTrapWeb, final: dict[str, tuple[str, str]]) -> dict[str, float | int]:
    rows = [(case, final[url][1]) for url, (_, case) in web.urls.items()]
    called_drifted = [case for case, verdict in rows if verdict == "drifted"]
    truly_dead = [verdict for case, verdict in rows if case.truth in DEAD]
    healthy = [verdict for case, verdict in rows if case.group == "healthy"]
    false = Counter(verdict for verdict in healthy if verdict in FALSE)
    return {
        "links": len(rows),
        "drifted_precision": (sum(case.truth == "drifted" for case in called_drifted) / len(called_drifted)
                              if called_drifted else 1.0),
        "called_drifted": len(called_drifted),
        "dead_recall": sum(verdict in DEAD for verdict in truly_dead) / len(truly_dead),
        "truly_dead": len(truly_dead),
        "false_dead": false["dead"], "false_rotten": false["rotten"], "false_drifted": false["drifted"],
        "healthy_links": len(healthy),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=3, help="copies of every case (default 3)")
    parser.add_argument("--table", action="store_true", help="also print every case's observation and verdict")
    args = parser.parse_args()
    started = time.monotonic()
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="archiver-rot-traps-") as work_dir:
        web = RotTrapWeb(stack, copies=args.copies)
        results = run_rounds(web, settings_for(Path(work_dir) / "archives"))
    final = results[-1]
    if args.table:
        for url, (label, case) in sorted(web.urls.items(), key=lambda item: item[1][0]):
            observation, verdict = final[url]
            mark = "" if verdict == case.truth and observation == case.observation else "   <-- expected " \
                f"{case.observation} / {case.truth}"
            print(f"{label:28} {observation:18} {verdict:13}{mark}")
    numbers = score(web, final)
    print(f"links {numbers['links']} ({args.copies} copies of each case), {time.monotonic() - started:.1f} s")
    print(f"drifted precision {numbers['drifted_precision']:.3f} ({numbers['called_drifted']} called drifted)  "
          f"dead recall {numbers['dead_recall']:.3f} ({numbers['truly_dead']} dead or rotten)")
    print(f"false verdicts on {numbers['healthy_links']} healthy/slow/challenged/edited/redirected links: "
          f"dead {numbers['false_dead']}, rotten {numbers['false_rotten']}, drifted {numbers['false_drifted']}")


if __name__ == "__main__":
    main()
