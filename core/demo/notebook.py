"""The Default experiment: a data scientist's notebook experiments, unicode and markup probes.

Small traces from `exploration.ipynb` (scratch spans, a haiku from a model, cells that fail on
a typo'd column, a config nested 30 levels deep) and two probes whose text the viewer must show
as stored: many scripts and invisible characters, and markup that must never be rendered.
Texts: `resources/demo/notebook.toml`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.demo import texts
from core.demo.failures import MESSAGES, app_frames, failure
from core.demo.llm import completion_call
from core.demo.plan import Failure, Gen, Node, Seq, TraceSpec, leaf, moment
from core.demo.rag import embedding

TEXTS = texts("notebook")
UNICODE_NAME: str = TEXTS["unicode_name"]
UNICODE_TEXT: dict[str, str] = TEXTS["unicode_text"]
UNICODE_TAGS: dict[str, str] = TEXTS["unicode_tags"]
MARKUP_TEXT: dict[str, str] = TEXTS["markup_text"]
HAIKU = tuple((haiku["prompt"], haiku["poem"]) for haiku in TEXTS["haiku"])
NOTEBOOK_FRAMES = app_frames("notebook")


def scratch_span(g: Gen, t: int) -> Node:
    x, y = g.between(1, 20), g.between(1, 50)
    return leaf(
        g,
        t,
        "my_cool_span",
        "UNKNOWN",
        (0.1, 3),
        {"x": x, "y": y},
        x + y,
        {"hello": "world", "attempt": g.between(1, 4)},
    )


def lambda_span(g: Gen, t: int) -> Node:
    return leaf(g, t, "<lambda>", "UNKNOWN", (0.05, 1), {"inp": "inputs value"}, "inputs value!")


def markup_probe(g: Gen, t: int) -> Node:
    seq = Seq(g, t)
    seq.add(
        leaf(
            g,
            seq.t,
            "render <b>preview</b>",
            "PARSER",
            (0.5, 4),
            MARKUP_TEXT,
            "\n".join(MARKUP_TEXT.values()),
        )
    )
    return seq.close(
        "markup_rendering_check",
        "CHAIN",
        {"payloads": list(MARKUP_TEXT.values())},
        {"markdown": f"**Rendered?** {MARKUP_TEXT['script']} {MARKUP_TEXT['file_link']}"},
    )


def unicode_probe(g: Gen, t: int) -> Node:
    seq = Seq(g, t)
    for key, name in TEXTS["unicode_spans"].items():
        seq.add(
            leaf(
                g,
                seq.t,
                name,
                "UNKNOWN",
                (0.2, 4),
                {"text": UNICODE_TEXT[key]},
                UNICODE_TEXT[key][::-1] if key == "ja" else UNICODE_TEXT[key],
            )
        )
    return seq.close(
        UNICODE_NAME, "CHAIN", UNICODE_TEXT, {"ok": True, "scripts": len(UNICODE_TEXT)}
    )


def hello_llm(g: Gen, t: int) -> Node:
    prompt, text = g.pick(HAIKU)
    return completion_call(g, t, g.pick(("llama3.2:1b", "gpt-4o-mini")), prompt, text, "hello_llm")


def typo_error() -> Failure:
    message = MESSAGES["missing_column"]
    return failure("KeyError", "KeyError", message, NOTEBOOK_FRAMES, ())


def notebook_cell(g: Gen, t: int) -> Node:
    """Nested helper calls from a notebook; sometimes the cell raises (a typo'd column)."""
    seq = Seq(g, t)
    loaded = {"rows": g.between(9_000, 40_000), "columns": 14}
    seq.add(leaf(g, seq.t, "load_csv", "UNKNOWN", (20, 300), {"path": "data/sessions.csv"}, loaded))
    broken = g.chance(0.3)
    columns = {"columns": ["sessoin_length" if broken else "session_length", "country"]}
    shape = None if broken else {"shape": [9_812, 2]}
    seq.add(step := leaf(g, seq.t, "build_features", "UNKNOWN", (5, 80), columns, shape))
    step.failure = typo_error() if broken else None
    name = f"notebook_cell_{g.between(3, 40)}"
    outputs = None if broken else {"ok": True}
    return seq.close(name, "CHAIN", {"cell": "features = ..."}, outputs, failure=step.failure)


def deep_json(g: Gen, t: int) -> Node:
    """A payload nested 30 levels deep, as config dumps and recursive structures produce."""
    value: Any = {"leaf": "bottom ⛏️", "n": 30}
    for level in range(29, 0, -1):
        value = {"level": level, "child": value, "tags": ["a", "b"] if level % 5 == 0 else []}
    return leaf(g, t, "inspect_config", "UNKNOWN", (0.1, 2), value, {"depth": 30})


def quick_embedding(g: Gen, t: int) -> Node:
    return embedding(g, t, g.pick(TEXTS["greetings"]), False)


DEFAULT_BUILDERS: tuple[Callable[[Gen, int], Node], ...] = (
    scratch_span,
    scratch_span,
    lambda_span,
    markup_probe,
    unicode_probe,
    hello_llm,
    hello_llm,
    notebook_cell,
    notebook_cell,
    notebook_cell,
    deep_json,
    quick_embedding,
)


def default_traces(g: Gen, now: int) -> list[TraceSpec]:
    specs = []
    for builder in (*DEFAULT_BUILDERS, *DEFAULT_BUILDERS[:9]):
        t = moment(g, now)
        root = builder(g, t)
        tags = (
            UNICODE_TAGS
            if builder is unicode_probe
            else {"note": MARKUP_TEXT["script"]}
            if (builder is markup_probe)
            else {}
        )
        metadata = {
            "mlflow.user": "mei.lin",
            "mlflow.source.name": "exploration.ipynb",
            "mlflow.source.type": "NOTEBOOK",
        }
        specs.append(TraceSpec("Default", root, dict(tags), metadata, None, "mei.lin@northwind.ai"))
    return specs
