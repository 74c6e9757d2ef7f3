"""Fast decoders generated from the Construct declarations, for packets that arrive by the hundred.

For a fixed layout, the Struct is walked once to produce one `struct` format and the source of a
small function that unpacks everything in a single C call and arranges the values into the record
classes (nested records, fixed arrays, decoded strings). Variable lists of flat numeric records
(IS_MCI's cars, IS_NLP's nodes) become numpy structured arrays with a dtype derived the same way.
Nothing here restates a layout: change a declaration and the fast path follows.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import construct as cs

from . import fields
from .model import Record, record_for, unwrap

_FORMAT_LETTERS = frozenset("BbHhIiLlQqf")


class NotFlat(Exception):
    """The layout has a variable-length part and cannot be unpacked in one go."""


class _Builder:
    def __init__(self) -> None:
        self.fmt: list[str] = []
        self.index = 0
        self.globals: dict[str, Any] = {"_new": tuple.__new__}

    def value(self, letters: str) -> str:
        self.fmt.append(letters)
        expr = f"v[{self.index}]"
        self.index += 1
        return expr

    def skip(self, sc: cs.Construct) -> None:
        self.fmt.append(f"{sc.sizeof()}x")

    def ordered_record(self, struct_: cs.Struct, tail: tuple[str, ...] = (),
                       order: tuple[str, ...] | None = None, known: dict[str, str] | None = None,
                       top: bool = False) -> str:
        """Walk a Struct in wire order; return the expression that makes its record.

        `tail` adds expressions after the declared fields (an optional trailing ID the caller knows).
        `order` lays the record out differently from the wire: each name there takes the field of
        that name, else `known[name]`, else None (OutSimPack2's absent blocks).
        """
        cls, _ = record_for(struct_)
        cname = f"_R{id(cls)}"
        self.globals[cname] = cls
        exprs: list[str] = []
        by_name: dict[str, str] = {}
        for sc in struct_.subcons:
            if sc.name is None:
                self.skip(sc)
                continue
            if sc.name in ("Size", "Type"):
                self.fmt.append("x")
                continue
            if isinstance(sc.subcon, cs.Const):
                self.fmt.append(f"{sc.subcon.sizeof()}x")  # checked by the caller
                continue
            by_name[sc.name] = self.subcon_expr(sc)
            exprs.append(by_name[sc.name])
        if order is not None:
            extra = known or {}
            exprs = [by_name.get(name, extra.get(name, "None")) for name in order]
        if top and exprs == [f"v[{i}]" for i in range(len(exprs))] and len(exprs) == self.index:
            # Every value is used as unpacked, in order: hand the tuple over as it is.
            return f"_new({cname}, v + ({', '.join(tail)},))" if tail else f"_new({cname}, v)"
        exprs.extend(tail)
        comma = "," if len(exprs) == 1 else ""
        return f"_new({cname}, ({', '.join(exprs)}{comma}))"

    def subcon_expr(self, sc: cs.Construct) -> str:
        inner = unwrap(sc)
        if isinstance(inner, cs.FormatField):
            letter = inner.fmtstr[-1]
            if (inner.fmtstr[0] not in "<=" and inner.length > 1) or letter not in _FORMAT_LETTERS:
                raise NotFlat(f"unsupported number format {inner.fmtstr}")
            return self.value(letter)
        if isinstance(inner, fields.Text):
            return self.value(f"{inner.size}s")  # records keep text as bytes
        if isinstance(inner, (fields.CarName, fields.IPv4)):
            return self.value("4s")
        if isinstance(inner, cs.Bytes) and isinstance(inner.length, int):
            return self.value(f"{inner.length}s")
        if isinstance(inner, cs.Struct):
            return self.ordered_record(inner)
        if isinstance(inner, cs.Array) and isinstance(inner.count, int):
            items = [self.subcon_expr(inner.subcon) for _ in range(inner.count)]
            return "(" + ", ".join(items) + ",)"
        raise NotFlat(f"{type(inner).__name__} is not a fixed-size field")


def flat_decoder(struct_: cs.Struct, record: type[Record] | None = None, tail: tuple[str, ...] = (),
                 order: tuple[str, ...] | None = None, known: dict[str, str] | None = None,
                 ) -> tuple[struct.Struct, Callable[[Any, int], Any]]:
    """(compiled struct format, decode(data, offset) -> record) for a fixed-size Struct.

    `record` overrides the class made for the top level (used for packets, whose class carries the
    packet's name and Type); `tail`, `order` and `known` are passed to `ordered_record`.
    """
    builder = _Builder()
    body = builder.ordered_record(struct_, tail, order, known, top=True)
    if record is not None:
        name = f"_TOP{id(record)}"
        builder.globals[name] = record
        body = body.replace(f"_R{id(record_for(struct_)[0])}", name, 1)
    fmt = struct.Struct("<" + "".join(builder.fmt))
    builder.globals["_unpack"] = fmt.unpack_from
    source = f"def decode(data, offset=0):\n    v = _unpack(data, offset)\n    return {body}\n"
    namespace = dict(builder.globals)
    exec(compile(source, f"<fast decoder for {record.name if record else struct_.name}>", "exec"), namespace)
    return fmt, namespace["decode"]
