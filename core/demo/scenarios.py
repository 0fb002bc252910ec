"""The support conversations: what a customer asks, the tools the agent calls, what it answers.

One function per kind of turn, by language; each draws the details (dates, ids, amounts) from
`g` and fills them into its texts from `resources/demo/support.toml` (`[scenarios.<name>]`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.demo.plan import DAY, Gen, day_text, iso
from core.demo.shop import (
    TENANTS,
    TEXTS,
    Order,
    Person,
    Scenario,
    Step,
    money,
    order_record,
    tracking_events,
)

SCENARIO_TEXTS: dict[str, dict[str, Any]] = TEXTS["scenarios"]
KB_ARTICLES = TEXTS["kb_articles"]
PRODUCT_FAQ: dict[str, dict[str, str]] = TEXTS["product_faq"]


def fill(text: str, o: Order, **values: Any) -> str:
    """`text` with the order's fields (`{order_id}`, `{product}`, `{money}`...) and `values`."""
    return text.format_map({**vars(o), "money": money(o), **values})


def order_status_en(g: Gen, p: Person, o: Order, t: int) -> Scenario:
    says = SCENARIO_TEXTS["order_status_en"]
    events = tracking_events(g, o, t)
    last, eta = events[-1], day_text(t, g.between(1, 3))
    question = fill(g.pick(says["questions"]), o, due=day_text(t, -1))
    shipping = {"status": "in_transit", "eta": eta, "events": events}
    values = {
        "shipped": day_text(o.placed, 1),
        "scan": last["description"],
        "scan_location": last["location"],
        "eta": eta,
        "claim_after": day_text(t, 5),
    }
    return Scenario(
        "order_status",
        question,
        (
            (Step("lookup_order", {"order_id": o.order_id}, order_record(o, "shipped", p)),),
            (
                Step(
                    "get_shipping_status",
                    {"carrier": o.carrier, "tracking_number": o.tracking},
                    shipping,
                ),
            ),
        ),
        fill(says["answer"], o, **values),
        fill(says["fallback"], o, **values),
    )


def refund_en(g: Gen, p: Person, o: Order, t: int) -> Scenario:
    says = SCENARIO_TEXTS["refund_en"]
    refund_id = f"re_{g.token(14)}"
    record = order_record(o, "delivered", p) | {
        "payments": [
            {"id": f"ch_{g.token(14)}", "amount": o.price, "status": "captured"},
            {"id": f"ch_{g.token(14)}", "amount": o.price, "status": "captured"},
        ]
    }
    refund = {
        "refund_id": refund_id,
        "status": "pending",
        "amount": o.price,
        "currency": o.currency,
        "expected_days": "5-10",
    }
    question = fill(g.pick(says["questions"]), o)
    args = {"order_id": o.order_id, "amount": o.price, "reason": "duplicate_charge"}
    return Scenario(
        "refund",
        question,
        (
            (Step("lookup_order", {"order_id": o.order_id}, record),),
            (Step("issue_refund", args, refund),),
        ),
        fill(says["answer"], o, refund_id=refund_id),
        fill(says["fallback"], o),
    )


def change_address_en(g: Gen, p: Person, o: Order, t: int) -> Scenario:
    says = SCENARIO_TEXTS["change_address_en"]
    street = g.pick(says["streets"])
    address = {
        "line1": street,
        "city": g.pick(TENANTS[p.tenant].cities),
        "postal_code": str(g.between(10_000, 99_999)),
        "country": g.pick(("US", "NO", "DE", "FR")),
    }
    values = {"street": street, "new_city": address["city"], "postal_code": address["postal_code"]}
    rounds = (
        (Step("lookup_order", {"order_id": o.order_id}, order_record(o, "processing", p)),),
        (
            Step(
                "update_shipping_address",
                {"order_id": o.order_id, "address": address},
                {"ok": True, "label_regenerated": True},
            ),
        ),
    )
    return Scenario(
        "change_address",
        fill(says["question"], o, **values),
        rounds,
        fill(says["answer"], o, **values),
        fill(says["fallback"], o),
    )


def account_recovery_en(g: Gen, p: Person, o: Order, t: int) -> Scenario:
    says = SCENARIO_TEXTS["account_recovery_en"]
    account = {
        "account_id": f"acct_{g.hex(10)}",
        "email": p.email,
        "mfa": "totp",
        "last_login": iso(t - g.between(5, 40) * DAY),
        "locked": False,
    }
    ticket = {"ticket_id": f"SUP-{g.between(40_000, 59_999)}", "sla_hours": 4}
    summary = fill(says["ticket_summary"], o, email=p.email)
    rounds = (
        (Step("find_account", {"email": p.email}, account),),
        (
            Step(
                "create_ticket",
                {"category": "account_recovery", "priority": "high", "summary": summary},
                ticket,
            ),
        ),
    )
    return Scenario(
        "account_recovery",
        fill(says["question"], o, email=p.email),
        rounds,
        fill(says["answer"], o, ticket_id=ticket["ticket_id"]),
        fill(says["fallback"], o),
    )


def invoice_en(g: Gen, p: Person, o: Order, t: int) -> Scenario:
    says = SCENARIO_TEXTS["invoice_en"]
    vat = g.pick(("DE", "FR", "NO", "PL")) + str(g.between(10**8, 10**9 - 1))
    company = g.pick(says["companies"])
    invoice_id = f"INV-{day_text(o.placed, 0, '%Y')}-{g.between(10_000, 99_999)}"
    url = f"https://billing.example.com/invoices/{invoice_id}.pdf?sig={g.token(20)}"
    rounds = (
        (
            Step(
                "get_invoice",
                {"order_id": o.order_id},
                {
                    "invoice_id": invoice_id,
                    "vat_id": None,
                    "total": o.price,
                    "currency": o.currency,
                },
            ),
        ),
        (
            Step(
                "regenerate_invoice",
                {"invoice_id": invoice_id, "vat_id": vat, "company_name": company},
                {"url": url},
            ),
        ),
    )
    values = {"company": company, "vat": vat, "invoice_id": invoice_id, "url": url}
    return Scenario(
        "invoice",
        fill(says["question"], o, **values),
        rounds,
        fill(says["answer"], o, **values),
        fill(says["fallback"], o),
    )


def shipping_policy_en(g: Gen, p: Person, o: Order, t: int) -> Scenario:
    says = SCENARIO_TEXTS["shipping_policy_en"]
    country = g.pick(says["countries"])
    hits = [
        {
            "id": a["id"],
            "title": a["title"],
            "snippet": a["text"],
            "score": round(0.9 - n * 0.11, 2),
        }
        for n, a in enumerate(KB_ARTICLES)
    ]
    return Scenario(
        "shipping_policy",
        fill(says["question"], o, country=country),
        ((Step("search_kb", {"query": f"shipping to {country} delivery time"}, hits),),),
        fill(says["answer"], o, country=country),
        fill(says["fallback"], o),
    )


def product_question_en(g: Gen, p: Person, o: Order, t: int) -> Scenario:
    faq = PRODUCT_FAQ[o.product]
    closing = SCENARIO_TEXTS["product_question_en"]["closing"]
    return Scenario("product_question", faq["question"], (), f"{faq['answer']}\n\n{closing}", "")


def order_status_ja(g: Gen, p: Person, o: Order, t: int) -> Scenario:
    says = SCENARIO_TEXTS["order_status_ja"]
    eta = day_text(t, g.between(1, 3), "%m月%d日")
    shipping = {"status": says["status"], "eta": eta, "events": tracking_events(g, o, t)}
    rounds = (
        (Step("lookup_order", {"order_id": o.order_id}, order_record(o, "shipped", p)),),
        (
            Step(
                "get_shipping_status",
                {"carrier": o.carrier, "tracking_number": o.tracking},
                shipping,
            ),
        ),
    )
    return Scenario(
        "order_status",
        fill(says["question"], o),
        rounds,
        fill(says["answer"], o, eta=eta),
        fill(says["fallback"], o),
    )


def dock_ja(g: Gen, p: Person, o: Order, t: int) -> Scenario:
    says = SCENARIO_TEXTS["dock_ja"]
    hits = [dict(hit) for hit in says["hits"]]
    return Scenario(
        "troubleshooting",
        says["question"],
        ((Step("search_kb", {"query": says["query"]}, hits),),),
        says["answer"],
        says["fallback"],
    )


def refund_ar(g: Gen, p: Person, o: Order, t: int) -> Scenario:
    says = SCENARIO_TEXTS["refund_ar"]
    refund_id = f"re_{g.token(14)}"
    refund = {
        "refund_id": refund_id,
        "status": "pending",
        "amount": o.price,
        "currency": o.currency,
    }
    args = {"order_id": o.order_id, "amount": o.price, "reason": "damaged_item"}
    return Scenario(
        "refund",
        fill(says["question"], o),
        (
            (Step("lookup_order", {"order_id": o.order_id}, order_record(o, "delivered", p)),),
            (Step("issue_refund", args, refund),),
        ),
        fill(says["answer"], o, refund_id=refund_id),
        fill(says["fallback"], o),
    )


#: The turns a customer of each language may start (a scenario listed twice is twice as likely).
SCENARIOS: dict[str, tuple[Callable[[Gen, Person, Order, int], Scenario], ...]] = {
    "en": (
        order_status_en,
        order_status_en,
        refund_en,
        change_address_en,
        account_recovery_en,
        invoice_en,
        shipping_policy_en,
        product_question_en,
    ),
    "ja": (order_status_ja, dock_ja),
    "ar": (refund_ar,),
}
