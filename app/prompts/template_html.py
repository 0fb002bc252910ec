"""Prompt templates as escaped rich text: `{{ variables }}` highlighted, chat messages by role.

No Qt here. Every character that comes from the database is escaped; the only markup is ours.
Chat messages use the trace explorer's look (`app/messages/render.py`): a coloured bar and a
role label per message, in the same colours.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from app.messages.formats import OTHER, role_kind
from app.messages.highlight import MONO_FONTS
from app.messages.render import ROLE_COLORS, ROLE_LABELS
from core.entities.prompt import VARIABLE, Template

#: Background and text colour of a highlighted variable: (light theme, dark theme).
VARIABLE_STYLE = {False: ("#fde68a", "#78350f"), True: ("#854d0e", "#fef3c7")}


def role_color(role: str, dark: bool) -> str:
    light, dark_color = ROLE_COLORS[role_kind(role)]
    return dark_color if dark else light


def role_label(role: str) -> str:
    """ "System", "User"...; a role the explorer does not know is shown as written."""
    kind = role_kind(role)
    return ROLE_LABELS[kind] if kind != OTHER else (role or "Message")


def variable_span(escaped: str, dark: bool) -> str:
    background, color = VARIABLE_STYLE[dark]
    return (
        f'<span style="background-color:{background}; color:{color}; font-weight:600">'
        f"{escaped}</span>"
    )


def highlighted(text: str, dark: bool = False) -> str:
    """`text` escaped, its `{{ variables }}` highlighted; escaped placeholders stay plain."""
    out: list[str] = []
    last = 0
    for match in VARIABLE.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        shown = html.escape(match.group(0))
        out.append(shown if match.group(1) else variable_span(shown, dark))
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def pre(inner: str) -> str:
    """Already escaped text, whitespace kept, wrapped to the width."""
    return f'<pre style="margin:0; font-family:{MONO_FONTS}; white-space:pre-wrap">{inner}</pre>'


def muted(escaped: str) -> str:
    return f'<span style="color:gray">{escaped}</span>'


def message_block(role: str, body: str, dark: bool, note: str = "", margin: int = 10) -> str:
    """One message as the explorer draws it: a role-coloured bar, the label, the body."""
    color = role_color(role, dark)
    label = html.escape(role_label(role))
    extra = f" {muted(html.escape(note))}" if note else ""
    return (
        '<table width="100%" cellspacing="0" cellpadding="0" '
        f'style="margin-bottom:{margin}px"><tr><td width="4" bgcolor="{color}"></td>'
        '<td style="padding-left:10px; padding-top:2px; padding-bottom:2px">'
        f'<p style="margin-top:0; margin-bottom:{4 if body else 0}px"><span style="color:{color}; '
        f'font-weight:700">{label}</span>{extra}</p>{body}</td></tr></table>'
    )


def messages_of(template: Template) -> list[tuple[str, str]]:
    """(role, content) of a chat template; untrusted shapes become text, never an error."""
    if isinstance(template, str):
        return [("", template)]
    out = []
    for message in template:
        if isinstance(message, Mapping):
            out.append((str(message.get("role", "")), str(message.get("content", ""))))
        else:
            out.append(("", str(message)))
    return out


def variables_line(names: Sequence[str], dark: bool) -> str:
    if not names:
        return f'<p style="margin-top:0">{muted("No variables.")}</p>'
    chips = " ".join(variable_span(html.escape(f"{{{{ {n} }}}}"), dark) for n in names)
    return f'<p style="margin-top:0">{muted("Variables:")} {chips}</p>'


def template_html(template: Template, variables: Sequence[str] = (), dark: bool = False) -> str:
    """A text or chat template with its variables highlighted, for the Template tab."""
    head = variables_line(variables, dark)
    if isinstance(template, str):
        return head + pre(highlighted(template, dark))
    blocks = [
        message_block(role, pre(highlighted(text, dark)), dark)
        for role, text in messages_of(template)
    ]
    return head + ("".join(blocks) or muted("(no messages)"))


def formatted_html(formatted: Template, dark: bool = False) -> str:
    """A filled-in prompt (`PromptVersion.format`), as the model will receive it."""
    if isinstance(formatted, str):
        return pre(html.escape(formatted))
    return "".join(
        message_block(role, pre(html.escape(text)), dark) for role, text in messages_of(formatted)
    )


def error_html(message: str) -> str:
    return f'<p style="color:#dc2626; font-weight:600">{html.escape(message)}</p>'
