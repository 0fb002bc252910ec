"""The support agent's world: who writes in, what they bought, and the tools the agent may call.

The people, shops, products and tool schemas are in `resources/demo/support.toml`; a
`Scenario` (core/demo/scenarios.py) is one conversation turn built from them.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from core.demo import texts
from core.demo.plan import DAY, HOUR, Gen, iso

TEXTS = texts("support")


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    lang: str
    tenant: str


@dataclass(frozen=True)
class Tenant:
    """A shop the agent works for."""

    currency: str
    carrier: str
    tracking_url: str
    order_prefix: str
    cities: tuple[str, ...]
    products: tuple[tuple[str, float], ...]


PEOPLE = tuple(Person(**person) for person in TEXTS["people"])
TENANTS = {
    name: Tenant(
        shop["currency"],
        shop["carrier"],
        shop["tracking_url"],
        shop["order_prefix"],
        tuple(shop["cities"]),
        tuple((product, price) for product, price in shop["products"]),
    )
    for name, shop in TEXTS["tenants"].items()
}


@dataclass(frozen=True)
class Order:
    order_id: str
    product: str
    price: float
    currency: str
    carrier: str
    tracking: str
    tracking_url: str
    city: str
    placed: int  # ns


def make_order(g: Gen, person: Person, t: int) -> Order:
    shop = TENANTS[person.tenant]
    product, price = g.pick(shop.products)
    tracking = (
        f"1Z{g.hex(6).upper()}03{g.between(10**7, 10**8 - 1)}"
        if shop.carrier == "UPS"
        else (str(g.between(10**11, 10**12 - 1)))
    )
    return Order(
        f"{shop.order_prefix}-{g.between(100_000, 999_999)}",
        product,
        price,
        shop.currency,
        shop.carrier,
        tracking,
        shop.tracking_url + tracking,
        g.pick(shop.cities),
        t - g.between(3, 9) * DAY,
    )


def money(order: Order) -> str:
    return (
        f"{order.price:,.0f} {order.currency}"
        if order.currency in ("JPY", "SAR")
        else (f"{order.currency} {order.price:,.2f}")
    )


def _function(name: str, description: str, parameters: dict[str, str]) -> dict[str, Any]:
    """An OpenAI function schema; `parameters` maps each (required) parameter to its type."""
    properties = {key: {"type": kind} for key, kind in parameters.items()}
    schema = {"type": "object", "properties": properties, "required": list(properties)}
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": schema},
    }


SUPPORT_TOOLS = [_function(**tool) for tool in TEXTS["tools"]]


@dataclass(frozen=True)
class Step:
    """One tool call the agent makes: the arguments the model chose and what came back."""

    tool: str
    args: dict[str, Any]
    result: Any


@dataclass(frozen=True)
class Scenario:
    """A support conversation turn: rounds of (parallel) tool calls, then the answer."""

    topic: str
    question: str
    rounds: tuple[tuple[Step, ...], ...]
    answer: str
    fallback: str  # what the agent says when a tool times out


def order_record(order: Order, status: str, person: Person) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "status": status,
        "placed_at": iso(order.placed),
        "customer": {"name": person.name, "email": person.email},
        "items": [
            {
                "sku": f"SKU-{zlib.crc32(order.product.encode()) % 90_000 + 10_000}",
                "name": order.product,
                "qty": 1,
                "unit_price": order.price,
            }
        ],
        "total": order.price,
        "currency": order.currency,
        "shipping": {
            "carrier": order.carrier,
            "tracking_number": order.tracking,
            "city": order.city,
        },
    }


def tracking_events(g: Gen, o: Order, t: int) -> list[dict[str, str]]:
    hub = g.pick(("Sorting centre", "Regional hub", "Distribution centre"))
    return [
        {"time": iso(o.placed + DAY), "location": "Warehouse", "description": "Label created"},
        {"time": iso(o.placed + 2 * DAY), "location": hub, "description": "Departed facility"},
        {
            "time": iso(t - g.between(2, 20) * HOUR),
            "location": o.city,
            "description": g.pick(
                ("Arrived at local facility", "Out for delivery", "Held at depot")
            ),
        },
    ]
