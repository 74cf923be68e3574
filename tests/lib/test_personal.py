"""lib.personal: a personal() part is an ordinary include, or a hole in a skeleton that each visitor's
context fills; the skeleton's CSRF token is never handed to someone else."""

from __future__ import annotations

from jinja2 import DictLoader, Environment

from verso.lib.personal import _HOLES, CSRF_SLOT, Skeleton, personal

TEMPLATES = {
    "page.html": "<h1>{{ title }}</h1>{{ personal('hello.html', n=n) }}<i>{{ token }}</i>"
    "{% for x in items %}{{ personal('item.html', x=x) }}{% endfor %}",
    "hello.html": "Hello {{ who }} ({{ n }})",
    "item.html": "[{{ x }}:{{ who }}]",
}


def _env() -> Environment:
    env = Environment(loader=DictLoader(TEMPLATES), autoescape=True)
    env.globals["personal"] = personal
    return env


def _skeleton(env: Environment, token: str) -> Skeleton:
    holes: list = []
    context = {"title": "Mugs", "n": 3, "items": [1, 2], "who": "first", "token": token, _HOLES: holes}
    html = env.get_template("page.html").render(context).replace(token, CSRF_SLOT)
    return Skeleton(tuple(html.split("\x00personal\x00")), tuple(holes))


def test_outside_a_skeleton_personal_is_an_include() -> None:
    html = _env().get_template("page.html").render(title="Mugs", n=3, items=[1], who="<Ann>", token="t")
    assert html == "<h1>Mugs</h1>Hello &lt;Ann&gt; (3)<i>t</i>[1:&lt;Ann&gt;]"


def test_a_skeleton_is_filled_with_each_visitors_context() -> None:
    env = _env()
    skeleton = _skeleton(env, token="first-token")
    assert [template for template, _params in skeleton.holes] == ["hello.html", "item.html", "item.html"]
    assert "first" not in "".join(skeleton.pieces)  # nothing of the first visitor is kept
    ann = skeleton.fill(env, {"who": "Ann"}, "ann-token")
    bob = skeleton.fill(env, {"who": "Bob"}, "bob-token")
    assert ann == "<h1>Mugs</h1>Hello Ann (3)<i>ann-token</i>[1:Ann][2:Ann]"
    assert bob == "<h1>Mugs</h1>Hello Bob (3)<i>bob-token</i>[1:Bob][2:Bob]"
