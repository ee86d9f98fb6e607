#!/usr/bin/env python3
"""Compare `switchboard holidays` with two independent sources, for every division:

- GOV.UK's own data as bundled in the `govuk-bank-holidays` package: dates *and names* must
  match exactly over the years it covers;
- the `holidays` package (python-holidays), built from the legislation: dates must match for
  every year from 1970 to 2100, except the differences listed in KNOWN_DIFFERENCES, each with
  the reason we believe Switchboard is right.

Usage: compare-holidays.py path/to/switchboard
Needs: pip install holidays govuk-bank-holidays
"""
import csv
import io
import json
import os
import subprocess
import sys

import govuk_bank_holidays
import holidays

FIRST, LAST = 1970, 2100
SUBDIVISIONS = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}

# (division, date): why python-holidays differs. "+" means only Switchboard has the date.
KNOWN_DIFFERENCES = {
    # python-holidays starts New Year's Day in 1975; the first was Tuesday 1 January 1974.
    ("england-and-wales", "1974-01-01"): "+ New Year's Day a bank holiday from 1974",
    ("northern-ireland", "1974-01-01"): "+ New Year's Day a bank holiday from 1974",
    # 1970 was the last year of the 1965-70 trial: spring and summer holidays on the last
    # Mondays of May and August. python-holidays gives Whit Monday and no August holiday.
    ("england-and-wales", "1970-05-25"): "+ trial spring holiday, last Monday of May",
    ("england-and-wales", "1970-05-18"): "- Whit Monday, replaced by the trial holiday",
    ("england-and-wales", "1970-08-31"): "+ trial summer holiday, last Monday of August",
    ("northern-ireland", "1970-05-25"): "+ trial spring holiday, last Monday of May",
    ("northern-ireland", "1970-05-18"): "- Whit Monday, replaced by the trial holiday",
    ("northern-ireland", "1970-08-31"): "+ trial summer holiday, last Monday of August",
    ("scotland", "1970-05-25"): "+ trial spring holiday, last Monday of May",
    # The St Andrew's Day Bank Holiday (Scotland) Act 2007 had royal assent in January 2007.
    ("scotland", "2006-11-30"): "- St Andrew's Day, a bank holiday only from 2007",
}

# (division, date): why GOV.UK's data as bundled in govuk-bank-holidays differs.
KNOWN_GOVUK_DIFFERENCES = {
    ("scotland", "2026-06-15"): "+ World Cup bank holiday, proclaimed in February 2026, after the bundled copy",
}


def switchboard(binary, division):
    out = subprocess.run(
        [binary, "holidays", "--division", division, "--from", str(FIRST), "--to", str(LAST)],
        check=True, capture_output=True, text=True,
    ).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    return {row["date"]: row["name"] for row in rows}


def main():
    binary = sys.argv[1]
    problems = []
    bundled = os.path.join(os.path.dirname(govuk_bank_holidays.__file__), "bank-holidays.json")
    with open(bundled, encoding="utf-8") as f:
        govuk = json.load(f)
    seen_known = set()
    for division, subdiv in SUBDIVISIONS.items():
        ours = switchboard(binary, division)

        events = govuk[division]["events"]
        first, last = events[0]["date"], events[-1]["date"]
        theirs = {e["date"]: e["title"] for e in events}
        ours_in_span = {d: n for d, n in ours.items() if first <= d <= last}
        for date in sorted(set(theirs) | set(ours_in_span)):
            if (division, date) in KNOWN_GOVUK_DIFFERENCES:
                seen_known.add((division, date))
            elif theirs.get(date) != ours_in_span.get(date):
                problems.append(f"{division} {date}: GOV.UK {theirs.get(date)!r}, ours {ours_in_span.get(date)!r}")
        print(f"{division}: {len(theirs)} GOV.UK holidays {first} to {last}, dates and names compared")

        python = holidays.UK(subdiv=subdiv, years=range(FIRST, LAST + 1), categories=("public",))
        # python-holidays lists a weekend holiday and its observed day; only the day off counts.
        py_dates = {d.isoformat() for d in python if d.weekday() < 5}
        for date in sorted(py_dates ^ set(ours)):
            key = (division, date)
            if key in KNOWN_DIFFERENCES:
                seen_known.add(key)
            else:
                side = "only ours" if date in ours else "only python-holidays"
                problems.append(f"{division} {date}: {side} ({ours.get(date) or python.get(date)})")
        print(f"{division}: {len(ours)} holidays {FIRST} to {LAST} compared with python-holidays {holidays.__version__}")
    known = KNOWN_DIFFERENCES | KNOWN_GOVUK_DIFFERENCES
    for key in sorted(set(known) - seen_known):
        problems.append(f"{key}: listed as a known difference but the sources now agree")
    for key in sorted(seen_known):
        print(f"known difference {key[0]} {key[1]}: {known[key]}")
    for problem in problems:
        print("MISMATCH", problem)
    print(f"holidays compared: {len(problems)} mismatches")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
