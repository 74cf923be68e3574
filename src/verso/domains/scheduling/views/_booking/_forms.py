"""The forms customers fill in while booking: their details with the type's own questions, and the
waitlist. Each returns a FormState holding everything typed, so a refused form loses nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from verso.domains.scheduling.services._booking import answer_problem
from verso.lib.forms import FormState, parse_form

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
QUESTION_PREFIX = "q_"
TIMES_OF_DAY = (
    ("any", "Any time"),
    ("morning", "Morning"),
    ("afternoon", "Afternoon"),
    ("evening", "Evening"),
)


class _Contact(msgspec.Struct):
    name: Annotated[str, Meta(min_length=1, max_length=120, extra={"error": "Enter your name."})]
    email: Annotated[
        str,
        Meta(
            pattern=_EMAIL,
            max_length=254,
            extra={"error": "Enter your email address, like name@example.com."},
        ),
    ]
    phone: Annotated[str, Meta(max_length=40)] = ""


class _Waitlist(_Contact):
    time_of_day: Annotated[
        str, Meta(pattern=r"^(any|morning|afternoon|evening)$", extra={"error": "Choose a time of day."})
    ] = "any"


def field_name(question: Mapping[str, Any]) -> str:
    return f"{QUESTION_PREFIX}{question.get('key', '')}"


def question_fields(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The type's questions as the form macro draws them (select options as value/label pairs)."""
    return [
        {
            "name": field_name(q),
            "label": q.get("label") or q["key"],
            "type": q.get("kind") if q.get("kind") in ("textarea", "select", "checkbox") else "text",
            "required": bool(q.get("required")),
            "options": [(str(o), str(o)) for o in q.get("options") or []],
        }
        for q in questions
        if q.get("key")
    ]


def _answer(question: Mapping[str, Any], data: Mapping[str, Any], form: FormState) -> Any:
    """One booking question's answer, with its error (required, or not one of the options)."""
    name = field_name(question)
    raw = data.get(name)
    value: Any = (
        str(raw or "").lower() in ("on", "true", "1", "yes")
        if question.get("kind") == "checkbox"
        else str(raw or "").strip()[:2000]
    )
    form.values[name] = value
    problem = answer_problem(dict(question), value)
    if problem:
        form.add_error(name, problem)
    return value


def parse_details(
    data: Mapping[str, Any], questions: list[dict[str, Any]]
) -> tuple[FormState, dict[str, Any]]:
    """The details step: name, email, phone and the answers keyed by question."""
    contact, form = parse_form(data, _Contact)
    answers = {str(q.get("key")): _answer(q, data, form) for q in questions if q.get("key")}
    if contact is not None:
        form.values.update(name=contact.name, email=contact.email.lower(), phone=contact.phone)
    return form, answers


def parse_waitlist(data: Mapping[str, Any]) -> FormState:
    _entry, form = parse_form(data, _Waitlist)
    return form
