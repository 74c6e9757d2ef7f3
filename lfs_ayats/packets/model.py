"""Packet and record classes derived from the Construct declarations.

Each declared Struct becomes an immutable tuple subclass whose fields are the Struct's named
subcons in wire order (unnamed `Padding` spares and the Size/Type header are left out). Tuples are
the cheapest Python object to make, which matters at 100 packets a second per car, and immutability
suits packets that only flow one way. Arrays of flat numeric records (IS_MCI's CompCar, IS_NLP's
NodeLap) become `RecordArray`s backed by a numpy structured array, so a whole packet's cars decode
in one call and later layers can convert units column-wise.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

import construct as cs
import numpy as np

from .fields import TextField

R = TypeVar("R", bound="Record")


class Record(tuple):  # type: ignore[type-arg]
    """Named, immutable fields in wire order; compares equal only to the same record type."""

    __slots__ = ()
    name: ClassVar[str] = "Record"
    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[tuple[Any, ...]] = ()
    _index: ClassVar[dict[str, int]] = {}
    _struct: ClassVar[cs.Construct | None] = None
    _rebuilt: ClassVar[tuple[tuple[int, Any], ...]] = ()
    _converter: ClassVar[Any] = None

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if len(args) > len(cls._fields):
            raise TypeError(f"{cls.name} takes at most {len(cls._fields)} values, got {len(args)}")
        values = list(args) + list(cls._defaults[len(args) :])
        for key, value in kwargs.items():
            index = cls._index.get(key)
            if index is None:
                raise TypeError(f"{cls.name} has no field {key!r}; its fields are {', '.join(cls._fields)}")
            values[index] = value
        if cls._converter is not None:
            cls._converter.normalise(values)
        for index, expression in cls._rebuilt:
            # Counts such as IS_MCI.NumC follow from the data they count.
            values[index] = expression(dict(zip(cls._fields, values, strict=True)))
        return tuple.__new__(cls, values)

    @classmethod
    def _make(cls: type[R], values: Sequence[Any]) -> R:
        return tuple.__new__(cls, values)

    def replace(self: R, **changes: Any) -> R:
        """A copy with some fields changed."""
        values = dict(zip(self._fields, self, strict=True))
        values.update(changes)
        return type(self)(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (text decoded, nested records as dicts, arrays as lists), e.g. for JSON."""
        return {key: _plain(getattr(self, key)) for key in self._fields}

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = tuple.__hash__

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._fields)
        return f"{self.name}({inner})"

    def __getnewargs__(self) -> tuple[Any, ...]:
        return tuple(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self)._make, (tuple(self),))

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...


class Packet(Record):
    """An InSim packet (or an OutGauge/OutSim datagram): `.name` is its type name, e.g. "IS_MCI"."""

    __slots__ = ()
    Type: ClassVar[int] = -1


class RawPacket(Packet):
    """A packet of a type this version does not know: its Type and bytes, kept whole."""

    __slots__ = ()
    name = "IS_RAW"
    _fields = ("Type", "ReqI", "Data")
    _defaults = (0, 0, b"")
    _index = {"Type": 0, "ReqI": 1, "Data": 2}

    @property
    def Type(self) -> int:  # type: ignore[override]
        return int(self[0])


RawPacket.ReqI = property(itemgetter(1))  # type: ignore[attr-defined]
RawPacket.Data = property(itemgetter(2))  # type: ignore[attr-defined]


class RecordArray(Sequence[R], Generic[R]):
    """A sequence of flat numeric records stored as one numpy structured array."""

    __slots__ = ("array", "record")

    def __init__(self, record: type[R], array: np.ndarray) -> None:
        self.record = record
        self.array = array

    @classmethod
    def from_records(cls, record: type[R], dtype: np.dtype, rows: Sequence[Any]) -> RecordArray[R]:
        items = [tuple(row[name] for name in record._fields) if isinstance(row, dict) else tuple(row) for row in rows]
        array = np.zeros(len(items), dtype=dtype)  # zeros: spare bytes between fields go out as 0
        if items:
            try:
                array[:] = items
            except (OverflowError, TypeError, ValueError) as exc:
                raise ValueError(f"{record.name}: a value does not fit its field ({exc})") from None
        return cls(record, array)

    def __len__(self) -> int:
        return len(self.array)

    @overload
    def __getitem__(self, index: int) -> R: ...

    @overload
    def __getitem__(self, index: slice) -> RecordArray[R]: ...

    def __getitem__(self, index: int | slice) -> R | RecordArray[R]:
        if isinstance(index, slice):
            return RecordArray(self.record, self.array[index])
        return self.record._make(self.array[index].item())

    def __iter__(self) -> Iterator[R]:
        make = self.record._make
        for row in self.array.tolist():
            yield make(row)

    def column(self, name: str) -> np.ndarray:
        """One field of every record, as a numpy array (no copy)."""
        return self.array[name]

    def to_list(self) -> list[dict[str, Any]]:
        names = self.record._fields
        return [dict(zip(names, row, strict=True)) for row in self.array.tolist()]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RecordArray):
            return self.record is other.record and bool(np.array_equal(self.array, other.array))
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return list(self) == list(other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RecordArray[{self.record.name}]({list(self)!r})"


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, RecordArray):
        return value.to_list()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)  # an LFSStr becomes plain text
    return value


# -- deriving classes from Construct declarations ---------------------------------------------------

# Construct's little-endian format letters ("<l" is its Int32sl) -> numpy types.
_DTYPE_BY_LETTER = {
    "B": "u1", "b": "i1", "H": "<u2", "h": "<i2", "I": "<u4", "L": "<u4", "i": "<i4", "l": "<i4", "f": "<f4",
}


def unwrap(subcon: cs.Construct) -> cs.Construct:
    """The subcon under Renamed / Rebuild / Default / Const wrappers."""
    while isinstance(subcon, (cs.Renamed, cs.Rebuild, cs.Default, cs.Const, cs.Transformed)):
        subcon = subcon.subcon
    return subcon


def named_fields(struct: cs.Struct) -> list[tuple[str, cs.Construct]]:
    """(name, subcon) of the fields a record carries: named, not the Size/Type header."""
    out = []
    for sc in struct.subcons:
        if sc.name is None or sc.name in ("Size", "Type") or sc.name.startswith("_"):
            continue
        out.append((sc.name, sc))
    return out


def numpy_dtype(struct: cs.Struct) -> np.dtype | None:
    """A numpy structured dtype with the Struct's layout, if every field is a fixed-size number."""
    names: list[str] = []
    formats: list[str] = []
    offsets: list[int] = []
    offset = 0
    for sc in struct.subcons:
        inner = unwrap(sc)
        if sc.name is None:  # padding
            try:
                offset += inner.sizeof()
            except cs.SizeofError:
                return None
            continue
        if not isinstance(inner, cs.FormatField) or (inner.fmtstr[0] != "<" and inner.length > 1):
            return None
        fmt = inner.fmtstr[-1]
        kind = _DTYPE_BY_LETTER.get(fmt)
        if kind is None:
            return None
        names.append(sc.name)
        formats.append(kind)
        offsets.append(offset)
        offset += inner.length
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": offset})


def block_dtype(struct: cs.Struct) -> np.dtype | None:
    """A structured dtype for a fixed-size Struct that may nest Structs and Arrays (OutSim, OutGauge).

    Numbers keep their type, arrays become subarrays, nested Structs nested dtypes, and any other
    fixed-size field (text, a constant header) raw bytes; None if something has no fixed size.
    """
    names: list[str] = []
    formats: list[Any] = []
    offsets: list[int] = []
    offset = 0
    for sc in struct.subcons:
        inner = unwrap(sc)
        try:
            size = int(sc.sizeof())
        except (cs.SizeofError, cs.ConstructError):
            return None
        if sc.name is not None:
            kind = _field_dtype(inner, size)
            if kind is None:
                return None
            names.append(sc.name)
            formats.append(kind)
            offsets.append(offset)
        offset += size
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": offset})


def _field_dtype(inner: cs.Construct, size: int) -> Any:
    if isinstance(inner, cs.FormatField):
        if inner.fmtstr[0] != "<" and inner.length > 1:
            return None
        return _DTYPE_BY_LETTER.get(inner.fmtstr[-1])
    if isinstance(inner, cs.Struct):
        return block_dtype(inner)
    if isinstance(inner, cs.Array) and isinstance(inner.count, int):
        element = _field_dtype(unwrap(inner.subcon), size // inner.count if inner.count else 0)
        return None if element is None else (element, (inner.count,))
    return f"V{size}" if size else None


def record_name(subcon: cs.Construct) -> str | None:
    """The innermost name on the way down to a Struct: `"A" / ("CarContact" / Struct)` -> CarContact."""
    name = None
    while isinstance(subcon, (cs.Renamed, cs.Rebuild, cs.Default, cs.Const, cs.Transformed)):
        if isinstance(subcon, cs.Renamed) and subcon.name:
            name = subcon.name
        subcon = subcon.subcon
    return name


class FieldCodec:
    """How one field's value moves between Construct, the record, and what a user may pass in."""

    __slots__ = ("from_parsed", "needs_context", "normalise", "to_buildable")

    def __init__(self, from_parsed: Callable[[Any], Any], to_buildable: Callable[[Any], Any],
                 normalise: Callable[..., Any], needs_context: bool = False) -> None:
        self.from_parsed = from_parsed
        self.to_buildable = to_buildable
        self.normalise = normalise
        self.needs_context = needs_context


def _identity(value: Any) -> Any:
    return value


def _maybe(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)


_PLAIN = FieldCodec(_identity, _identity, _identity)
_SEQUENCE = FieldCodec(tuple, _maybe(list), _maybe(tuple))


def field_codec(subcon: cs.Construct) -> FieldCodec:
    """The FieldCodec for one declared field."""
    inner = unwrap(subcon)
    if isinstance(inner, TextField):
        # Construct's path hands over decoded text; the record keeps the field's bytes.
        return FieldCodec(
            lambda value: inner.to_bytes(value, None),
            _identity,
            lambda value, context=None: inner.to_bytes(value, context),
            needs_context=True,
        )
    if isinstance(inner, cs.Struct):
        return _nested_codec(inner, record_name(subcon))
    if isinstance(inner, (cs.Array, cs.GreedyRange)):
        element = unwrap(inner.subcon)
        if not isinstance(element, cs.Struct):
            return _SEQUENCE
        fixed_count = isinstance(inner, cs.Array) and isinstance(inner.count, int)
        dtype = None if fixed_count else numpy_dtype(element)
        if dtype is not None:
            return _record_array_codec(element, record_name(inner.subcon), dtype)
        return _record_tuple_codec(element, record_name(inner.subcon))
    return _PLAIN


def _nested_codec(struct: cs.Struct, name: str | None) -> FieldCodec:
    record, conv = record_for(struct, name=name)
    return FieldCodec(
        conv.from_container,
        lambda r: None if r is None else conv.to_buildable(coerce_record(record, r)),
        lambda r: coerce_record(record, r),
    )


def _record_tuple_codec(struct: cs.Struct, name: str | None) -> FieldCodec:
    record, conv = record_for(struct, name=name)
    return FieldCodec(
        lambda items: tuple(conv.from_container(i) for i in items),
        lambda seq: None if seq is None else [conv.to_buildable(coerce_record(record, r)) for r in seq],
        lambda seq: None if seq is None else tuple(coerce_record(record, r) for r in seq),
    )


def _record_array_codec(struct: cs.Struct, name: str | None, dtype: np.dtype) -> FieldCodec:
    """A variable list of flat numeric records (cars, nodes, objects): numpy-backed."""
    record, conv = record_for(struct, name=name)

    def to_array(items: Any) -> RecordArray[Any]:
        if isinstance(items, RecordArray):
            return items
        return RecordArray.from_records(record, dtype, [tuple(coerce_record(record, i)) for i in items])

    return FieldCodec(
        lambda items: RecordArray.from_records(record, dtype, [tuple(conv.from_container(i)) for i in items]),
        lambda seq: [dict(zip(record._fields, tuple(coerce_record(record, r)), strict=True)) for r in seq],
        to_array,
    )


class Converter:
    """Turns the Container that Construct parses into records, and records back into buildable dicts."""

    def __init__(self, record: type[Record], struct: cs.Struct) -> None:
        self.record = record
        self.parts: list[tuple[str, FieldCodec]] = [(name, field_codec(sc)) for name, sc in named_fields(struct)]
        self.needs_normalising = tuple(i for i, (_, codec) in enumerate(self.parts) if codec is not _PLAIN)

    def from_container(self, container: Any) -> Record:
        return self.record._make([codec.from_parsed(container[name]) for name, codec in self.parts])

    def to_buildable(self, record: Record) -> dict[str, Any]:
        return {name: codec.to_buildable(value) for (name, codec), value in zip(self.parts, record, strict=True)}

    def normalise(self, values: list[Any]) -> None:
        """In place: text, nested dicts or tuples a caller passed become bytes, records and arrays."""
        context = None
        for i in self.needs_normalising:
            codec = self.parts[i][1]
            if codec.needs_context:
                # Text whose code page depends on another field (IS_MSO's MSOData).
                context = context or SimpleNamespace(**dict(zip(self.record._fields, values, strict=True)))
                values[i] = codec.normalise(values[i], context)
            else:
                values[i] = codec.normalise(values[i])


_RECORDS: dict[int, tuple[type[Record], Converter]] = {}


def coerce_record(record: type[Record], value: Any) -> Any:
    """Accept a record, a dict of its fields or a plain tuple where a nested record is expected."""
    if isinstance(value, record) or value is None:  # None: an absent optional block
        return value
    if isinstance(value, dict):
        return record(**value)
    return record._make(tuple(value))


def record_for(struct: cs.Struct, name: str | None = None, base: type[Record] = Record,
               attrs: dict[str, Any] | None = None) -> tuple[type[Record], Converter]:
    """The record class (made once per Struct) and its converter."""
    key = id(struct)
    if key in _RECORDS:
        return _RECORDS[key]
    fields = named_fields(struct)
    names = tuple(n for n, _ in fields)
    namespace: dict[str, Any] = {
        "__slots__": (),
        "name": name or struct.name or "Record",
        "_fields": names,
        "_index": {n: i for i, n in enumerate(names)},
        "_struct": struct,
    }
    for i, (field_name, sc) in enumerate(fields):
        inner = unwrap(sc)
        if isinstance(inner, TextField):
            namespace[field_name] = property(_text_getter(i, inner))
        else:
            namespace[field_name] = property(itemgetter(i))
    namespace.update(attrs or {})
    cls: type[Record] = type(namespace["name"], (base,), namespace)
    conv = Converter(cls, struct)
    _RECORDS[key] = (cls, conv)
    cls._converter = conv
    cls._rebuilt = tuple(
        (i, _rebuild_expression(sc)) for i, (_, sc) in enumerate(fields)
        if isinstance(sc.subcon if isinstance(sc, cs.Renamed) else sc, cs.Rebuild)
    )
    cls._defaults = _defaults_for(struct, conv)
    return cls, conv


def _text_getter(index: int, field: TextField) -> Callable[[Record], str]:
    def getter(record: Record) -> str:
        return field.text(record[index], record)

    return getter


def _rebuild_expression(sc: cs.Construct) -> Callable[[dict[str, Any]], Any]:
    inner = sc.subcon if isinstance(sc, cs.Renamed) else sc
    func = inner.func

    def evaluate(values: dict[str, Any]) -> Any:
        return func(cs.Container(values)) if callable(func) else func

    return evaluate


def _defaults_for(struct: cs.Struct, conv: Converter) -> tuple[Any, ...]:
    """Field defaults: what an all-zero packet of minimal size parses to."""
    try:
        parsed = struct.parse(bytes(minimal_size(struct)))
    except cs.ConstructError:  # a Const (OutSimPack2's "LFST") does not parse from zeros
        return tuple(None for _ in conv.parts)
    return tuple(conv.from_container(parsed))


def minimal_size(struct: cs.Struct) -> int:
    """Bytes of the fixed part: every count at zero, every run-to-the-end field empty."""
    total = 0
    for sc in struct.subcons:
        with contextlib.suppress(cs.SizeofError):
            total += int(sc.sizeof())
    return total
