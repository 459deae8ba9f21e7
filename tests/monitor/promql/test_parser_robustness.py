"""Whatever a user types into a query box, the parser answers with a ParseError, never a crash."""

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.promql.errors import ParseError, PromQLError
from monitor.promql.parser import parse_expr

PROMQL_ALPHABET = st.sampled_from(list('abcxyz_:{}[]()",=~!<>+-*/^%@ 0123456789.eEmshdwy') +
                                  ["by", "on", "offset", "rate", "sum", "ignoring", "ᚠ", "漢", "٣", "\u202e", "🔥"])


@settings(max_examples=300, deadline=None)
@given(st.lists(PROMQL_ALPHABET, max_size=30).map("".join))
def test_any_text_parses_or_raises_a_positioned_parse_error(text: str) -> None:
    try:
        parse_expr(text)
    except ParseError as exc:
        # the position points into the text (or just past its end), and the message says
        # it as line:column, as Prometheus does
        assert exc.position is not None and 0 <= exc.position <= len(text), (text, exc.position)
        before = text[:exc.position]
        line = before.count("\n") + 1
        assert (exc.line, exc.column) == (line, exc.position - before.rfind("\n")), (text, exc)
        assert str(exc).startswith(f"{exc.line}:{exc.column}: parse error: "), exc
        assert exc.message


def test_non_ascii_identifiers_are_a_parse_error_with_a_position() -> None:
    for text, where in [("ᚠ\u202e漢字🔥", "1:1"), ('up{ᚠ="x"}', "1:4"), ("rate(x[٣m])", "1:8")]:
        try:
            parse_expr(text)
        except PromQLError as exc:
            assert str(exc).startswith(where), exc
        else:
            raise AssertionError(f"{text!r} parsed")
