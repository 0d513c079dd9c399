"""`mailcheck.records.record` behaves as the frozen, slotted dataclasses it replaces."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from mailcheck.model import Evidence, Finding, ScanResult
from mailcheck.records import FrozenInstanceError, record, replace


@record
class Sample:
    """A value with a default, a field() default and a derived property."""

    name: str
    items: tuple[str, ...] = ()
    size: int = dataclasses.field(default=3)

    @property
    def count(self) -> int:
        return len(self.items)


@record(kw_only=False)
class Pair:
    left: int
    right: str = "r"


def test_values_compare_hash_and_show_like_dataclasses() -> None:
    one = Sample(name="a", items=("x",))
    assert one == Sample(name="a", items=("x",), size=3)
    assert one != Sample(name="b", items=("x",))
    assert hash(one) == hash(Sample(name="a", items=("x",)))
    assert repr(one) == "Sample(name='a', items=('x',), size=3)"
    assert one.count == 1 and Sample.__doc__ is not None
    assert one != ("a", ("x",), 3)  # never equal to a tuple of the same values


def test_frozen_slotted_and_keyword_only() -> None:
    one = Sample(name="a")
    with pytest.raises(FrozenInstanceError):
        one.name = "b"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del one.name  # type: ignore[misc]
    assert not hasattr(one, "__dict__")
    with pytest.raises(TypeError):
        Sample("a")  # type: ignore[misc]
    assert Pair(1) == Pair(left=1, right="r")


def test_pickle_copy_and_replace() -> None:
    one = Sample(name="a", items=("x", "y"))
    assert pickle.loads(pickle.dumps(one)) == one
    assert copy.copy(one) == one and copy.deepcopy(one) == one
    assert replace(one, size=9) == Sample(name="a", items=("x", "y"), size=9)
    with pytest.raises(TypeError):
        replace(one, colour="red")


def test_the_result_document_travels_through_pickle() -> None:
    evidence = Evidence(location="header From", facts=(("a", "b"),))
    finding = Finding(
        id="x.y", severity="low", score=1, confidence="high", evidence=(evidence,), analyzer="t"
    )
    assert pickle.loads(pickle.dumps(finding)) == finding
    assert "timings_ms" in ScanResult.__slots__  # a field(default=()) is a field
