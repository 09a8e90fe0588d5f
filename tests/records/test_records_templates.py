"""Preset templates: placeholders, fallbacks, optional parts, escaping, errors."""

from __future__ import annotations

import pytest

from specpub.errors import InputError
from specpub.records.templates import compile_template


def render(source: str, values: dict, escape: bool = False) -> str:
    return compile_template(source).render(values.get, escape=escape)


def test_placeholders_fallbacks_and_literals():
    assert render("{a} and {b}", {"a": "A", "b": "B"}) == "A and B"
    assert render("{a|b}", {"b": "B"}) == "B"
    assert render('{a|b|"none"}', {}) == "none"
    assert render("{dwc:family}", {"dwc:family": "Fagaceae"}) == "Fagaceae"
    assert render("{{literal}} {a}", {"a": "x"}) == "{literal} x"


def test_optional_parts_drop_when_a_direct_placeholder_is_empty():
    t = "Sheet[[ of {name}[[ ({number})]]]]"
    assert render(t, {"name": "Quercus", "number": "12"}) == "Sheet of Quercus (12)"
    assert render(t, {"name": "Quercus"}) == "Sheet of Quercus"
    assert render(t, {"number": "12"}) == "Sheet"  # the outer part needs name


def test_escape_applies_to_values_not_to_the_template():
    assert (
        render("<i>{n}</i>", {"n": "<script>x</script>"}, escape=True)
        == "<i>&lt;script&gt;x&lt;/script&gt;</i>"
    )


def test_names_are_collected():
    assert compile_template("{a}[[{b|c}]]").names == {"a", "b", "c"}
    assert compile_template("plain").constant


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("{a", "no matching"),
        ("a}", "closes nothing"),
        ("[[ {a}", "never closed"),
        ("{a b}", "not a valid placeholder"),
        ('{"x"|a}', "must come last"),
        ("{}", "not a valid placeholder"),
    ],
)
def test_malformed_templates_are_input_errors(source, words):
    with pytest.raises(InputError, match=words) as err:
        compile_template(source, where="record.title")
    assert err.value.field == "record.title"
