import pytest

from conformance.errors import UsageError
from conformance.registry.versions import StandardRef, Version


def test_versions_order_numerically():
    assert Version.parse("1.10.0") > Version.parse("1.9.3")
    assert str(Version.parse("2.0.1")) == "2.0.1"


@pytest.mark.parametrize("text", ["1.0", "01.0.0", "1.0.0-rc1", "v1.0.0", ""])
def test_bad_versions_are_usage_errors(text):
    with pytest.raises(UsageError, match=r"MAJOR\.MINOR\.PATCH"):
        Version.parse(text)


@pytest.mark.parametrize(
    ("text", "ident", "prefix"),
    [
        ("person", "person", ()),
        ("person@1", "person", (1,)),
        ("person@1.1", "person", (1, 1)),
        ("civil-registration-event@1.0.0", "civil-registration-event", (1, 0, 0)),
    ],
)
def test_references_parse(text, ident, prefix):
    ref = StandardRef.parse(text)
    assert (ref.id, ref.prefix) == (ident, prefix)
    assert str(ref) == text


@pytest.mark.parametrize(
    "text", ["Person", "person@", "person@x", "person@1.1.0.0", "@1"]
)
def test_bad_references_say_what_is_expected(text):
    with pytest.raises(UsageError, match=r"person@1|1\.1\.0"):
        StandardRef.parse(text)
