"""Records without the dataclasses module: what a dataclass gives the classes of a no-op
build's modules (==, a hash when frozen, a readable repr, replace), written out once.

Why not dataclasses there: `import dataclasses` imports inspect, and with it ast, dis,
tokenize, linecache, ...: 8-12 ms of a no-op `guideprint build` by -X importtime, and each
@dataclass class cost ~0.3 ms more to make (its methods exec'd from generated source). The
no-op was ~59 ms where `python -c pass` is ~26 ms (2.2x; issue #19 asks for at most 2x),
and those 14 classes were its largest single part: as records, the no-op measured 1.95x ->
1.41x `python -c pass` (medians of 5 x 20 interleaved runs). builder.config and the modules
that only a real build imports keep their dataclasses.

A record lists its fields in `_fields`, in the order its __init__ takes them (compared,
hashed and shown in that order, as a dataclass's); its own typed __init__ sets them.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing's, without importing typing: builder/__init__.py
if TYPE_CHECKING:
    from typing import Any, ClassVar, Self


class Record:
    """A mutable record: equal to a record of its class with equal fields; unhashable."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple([getattr(self, name) for name in self._fields])

    def __eq__(self, other: object) -> bool:  # defined here without __hash__: unhashable
        if not isinstance(other, Record) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{self.__class__.__qualname__}({shown})"

    def replace(self, **changes: Any) -> Self:
        """A new record of the same class: these fields changed, the others the same objects
        (dataclasses.replace's rule: a list or dict field is shared, not copied)."""
        kind: Any = self.__class__
        new: Self = kind(**{**{name: getattr(self, name) for name in self._fields}, **changes})
        return new


class Frozen(Record):
    """An immutable record: hashed by its fields; assigning one raises AttributeError."""

    __slots__ = ()

    def _set(self, *values: object) -> None:
        """Set the fields, in their order (__init__'s part)."""
        for name, value in zip(self._fields, values, strict=True):
            object.__setattr__(self, name, value)

    def __hash__(self) -> int:
        return hash(self._values())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a {self.__class__.__name__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of a {self.__class__.__name__}")

    def __reduce__(self) -> tuple[Any, ...]:
        # By __init__ (pickle would restore slots by setattr, which refuses).
        return (self.__class__, self._values())
