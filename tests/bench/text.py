"""Deterministic pseudo-natural text for synthetic payloads: questions, answers, documents.

Everything is drawn from pools built once from a seeded `random.Random`, so a database built
twice with the same seed is byte-identical and building 100k traces stays fast.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_WORD_TEXT = (
    "the a an of to in for on with by from at as is are was be can will should must may this "
    "that these those it its our your their we you they customer order account invoice refund "
    "shipping delivery address payment card subscription plan upgrade downgrade cancel renew "
    "password login session token error timeout latency request response model prompt context "
    "document policy section clause contract warranty return exchange product item price "
    "discount coupon tax region store inventory stock report summary analysis dataset table "
    "query filter result metric evaluation score feedback agent tool search retrieve rank "
    "answer question support ticket priority escalation team manager engineer deploy release "
    "version build pipeline cluster node memory cpu disk network cache index database backup "
    "restore migrate schedule meeting calendar reminder email message chat user admin role "
    "permission access audit log event trace span weather forecast city temperature travel "
    "flight hotel booking itinerary receipt budget quarter revenue growth churn retention"
)
_WORDS = tuple(_WORD_TEXT.split())

_CITY_TEXT = (
    "Paris London Tokyo Berlin Madrid Rome Lisbon Dublin Oslo Vienna Prague Warsaw Athens "
    "Cairo Nairobi Lagos Mumbai Delhi Seoul Sydney Toronto Boston Denver Austin Seattle"
)
_CITIES = tuple(_CITY_TEXT.split())

_QUESTION_TEMPLATES = (
    "How do I {w1} my {w2} after the {w3} changed?",
    "What is the {w1} {w2} for orders shipped to {city}?",
    "Can you summarize the {w1} {w2} report for last quarter?",
    "Why did my {w1} fail with a {w2} {w3}?",
    "Which {w1} should I use to {w2} the {w3}?",
    "What's the weather in {city} tomorrow, and should I book the {w1}?",
    "Compare the {w1} and the {w2} {w3} for our enterprise plan.",
    "Explain the {w1} {w2} clause in plain words, please.",
)


@dataclass(frozen=True)
class TextPools:
    """Pre-built sentences, system prompts and questions to compose payloads from."""

    sentences: tuple[str, ...]
    system_prompts: tuple[str, ...]
    questions: tuple[str, ...]
    cities: tuple[str, ...]

    @classmethod
    def build(cls, seed: int) -> TextPools:
        rng = random.Random(seed)
        sentences = tuple(_sentence(rng) for _ in range(4000))
        prompts = tuple(
            "You are a helpful assistant for ACME support. " + _paragraph(rng, sentences, 1, 3)
            for _ in range(24)
        )
        questions = tuple(_question(rng) for _ in range(3000))
        return cls(sentences, prompts, questions, tuple(_CITIES))


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(6, 22))
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _question(rng: random.Random) -> str:
    template = rng.choice(_QUESTION_TEMPLATES)
    w1, w2, w3 = rng.choices(_WORDS[20:], k=3)
    return template.format(w1=w1, w2=w2, w3=w3, city=rng.choice(_CITIES))


def _paragraph(rng: random.Random, sentences: tuple[str, ...], low: int, high: int) -> str:
    return " ".join(rng.choices(sentences, k=rng.randint(low, high)))


def paragraph(rng: random.Random, pools: TextPools, low: int, high: int) -> str:
    """Between `low` and `high` sentences (roughly 80 characters each)."""
    return _paragraph(rng, pools.sentences, low, high)


def text_of_size(rng: random.Random, pools: TextPools, size: int) -> str:
    """About `size` characters of prose (used for the rare ~1 MB payloads)."""
    parts: list[str] = []
    total = 0
    while total < size:
        chunk = " ".join(rng.choices(pools.sentences, k=64))
        parts.append(chunk)
        total += len(chunk) + 1
    return " ".join(parts)[:size]
