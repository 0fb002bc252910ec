"""The documents the summarizer is given, each with the points its summary makes.

Small ones (meeting notes, postmortems, a Japanese call transcript, an Arabic news article)
and long ones (a 1 MB access log, a support call, a contract). The texts are templates in
`resources/demo/summarizer.toml`, filled in with what `g` draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.demo import texts
from core.demo.plan import HOUR, MS, SECOND, Gen, day_text, iso

TEXTS = texts("summarizer")
ENGINEERS: tuple[str, ...] = tuple(TEXTS["engineers"])


@dataclass(frozen=True)
class Document:
    kind: str
    title: str
    language: str
    text: str
    points: tuple[str, ...]  # what the summary says, one bullet each
    chunk_chars: int = 4_000


def meeting_notes(g: Gen, t: int) -> Document:
    says = TEXTS["meeting_notes"]
    team, (a, b) = g.pick(says["teams"]), g.rng.sample(ENGINEERS, 2)
    date = day_text(t, -g.between(0, 2), "%Y-%m-%d")
    talk = [s.format(a=a, b=b) for s in g.rng.sample(says["discussion"], 6)]
    decided = g.rng.sample(says["decisions"], 2)
    todo = [s.format(a=a, b=b) for s in g.rng.sample(says["actions"], 2)]
    attendees = ", ".join(g.rng.sample(ENGINEERS, 5))
    body = "\n\n".join(f"### {n}. {' '.join(s.split()[:5])}…\n\n{s}" for n, s in enumerate(talk, 1))
    text = says["text"].format(
        team=team,
        date=date,
        attendees=attendees,
        discussion=body,
        decisions="\n".join(f"- {d}" for d in decided),
        actions="\n".join(f"- [ ] {x}" for x in todo),
    )
    points = (*(says["decided"].format(decision=d) for d in decided), talk[0], *todo)
    title = says["title"].format(team=team, date=date)
    return Document("meeting_notes", title, "en", text, points)


def postmortem(g: Gen, t: int) -> Document:
    says = TEXTS["postmortem"]
    service, cause = g.pick(says["services"]), g.pick(says["causes"])
    minutes, owner = g.between(18, 95), g.pick(ENGINEERS)
    start = datetime.fromtimestamp(t / SECOND - g.between(1, 4) * 86_400, tz=UTC).replace(minute=7)
    values: dict[str, Any] = {
        "service": service,
        "owner": owner,
        "minutes": minutes,
        "day": f"{start:%Y-%m-%d}",
        **cause,
    }
    offsets = (0, 6, minutes // 2, minutes - 5, minutes)  # when each timeline entry happened
    timeline = [
        f"{(start + timedelta(minutes=m)).strftime('%H:%M')} UTC — {what.format(**values)}"
        for m, what in zip(offsets, says["timeline"], strict=True)
    ]
    text = says["text"].format(
        **values,
        impact=g.between(3, 22),
        timeline="\n".join(f"- {x}" for x in timeline),
        root_cause=cause["cause"][0].upper() + cause["cause"][1:],
    )
    points = tuple(point.format(**values) for point in says["points"])
    title = says["title"].format(**values)
    return Document("postmortem", title, "en", text, points)


def call_transcript_ja(g: Gen, t: int) -> Document:
    says = TEXTS["call_ja"]
    header = says["header"].format(when=day_text(t, 0, "%Y-%m-%d %H:%M"), minutes=g.between(6, 19))
    text = header + "\n\n" + "\n".join(says["lines"])
    return Document("call_transcript", says["title"], "ja", text, tuple(says["points"]))


def news_ar(g: Gen, t: int) -> Document:
    says = TEXTS["news_ar"]
    text = says["headline"] + "\n\n" + "\n\n".join(says["paragraphs"])
    return Document("news_article", says["title"], "ar", text, tuple(says["points"]))


def contract(g: Gen, t: int, size: int) -> Document:
    says = TEXTS["contract"]
    clauses: list[str] = []
    n = 1
    while sum(len(c) for c in clauses) < size:
        clauses.append(
            g.pick(says["clauses"]).format(
                n=f"{n // 10 + 1}.{n % 10 + 1}",
                years=g.between(2, 5),
                days=g.pick((14, 30, 45)),
                sched=g.pick("ABC"),
                ref=g.between(3, 9),
            )
        )
        n += 1
    text = says["preamble"] + "\n\n" + "\n\n".join(clauses)
    points = tuple(point.format(clauses=n - 1) for point in says["points"])
    return Document("contract", says["title"], "en", text, points, 30_000)


ENDPOINTS = (
    ("GET", "/v2/orders/{id}"),
    ("POST", "/v2/orders"),
    ("GET", "/v2/cart"),
    ("POST", "/v2/payments/intent"),
    ("GET", "/healthz"),
)
POOL_ERROR: str = TEXTS["server_logs"]["pool_error"]


def log_line(g: Gen, clock: int, incident: bool) -> tuple[str, str]:
    method, path = g.pick(ENDPOINTS)
    path = path.replace("{id}", f"NW-{g.between(100_000, 999_999)}")
    request = f"req={g.hex(12)} {method} {path}"
    if incident and g.chance(0.35):
        return "ERROR", f'{request} 503 30001ms err="{POOL_ERROR}"'
    if g.chance(0.02):
        return "WARN", f"{request} 200 {g.between(900, 4_000)}ms slow_query=orders_by_customer"
    return "INFO", f"{request} {g.pick((200, 200, 200, 201, 204, 404))} {g.between(4, 180)}ms"


def server_logs(g: Gen, t: int, size: int) -> Document:
    """`size` characters of an access log with an incident in the middle."""
    says = TEXTS["server_logs"]
    lines: list[str] = []
    counts = {"INFO": 0, "WARN": 0, "ERROR": 0}
    clock, written = t - 3 * HOUR, 0
    while written < size:
        clock += g.between(20, 400) * MS
        level, message = log_line(g, clock, 0.45 < written / size < 0.6)
        counts[level] += 1
        line = f"{iso(clock)} {level:<5} [checkout-api] {message}"
        lines.append(line)
        written += len(line) + 1
    values = {
        "requests": len(lines),
        "errors": counts["ERROR"],
        "slow": counts["WARN"],
        "error": POOL_ERROR.partition(":")[0],
    }
    points = tuple(point.format(**values) for point in says["points"])
    return Document("server_logs", says["title"], "en", "\n".join(lines), points, 125_000)


def support_call(g: Gen, t: int, size: int) -> Document:
    says = TEXTS["support_call"]
    lines: list[str] = []
    second = written = 0
    while written < size:
        second += g.between(3, 25)
        speaker, pool = (
            ("Agent", says["agent"]) if len(lines) % 2 == 0 else ("Customer", says["customer"])
        )
        stamp = f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
        line = f"[{stamp}] {speaker}: {g.pick(pool)}"
        lines.append(line)
        written += len(line) + 1
    points = tuple(says["points"])
    return Document("call_transcript", says["title"], "en", "\n".join(lines), points, 50_000)
