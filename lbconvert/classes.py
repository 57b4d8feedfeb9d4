"""Stable class ids: from a classes file, a Labelbox ontology, or first-seen order.

Class ids are a property of the export and the selection, never of a writer:
the select stage (:class:`lbconvert.select.Selector`) calls
:meth:`ClassMap.register` with the objects of the chosen labels, item by
item in export order, before any writer sees the item.  So YOLO detect,
segment, pose and obb, COCO, VOC and the mask PNGs of one export (with the
same selection options) give every class the same id, whether or not they
can write the objects of that class.  A run split into consecutive
partitions can compute the same ids with a first pass that runs the select
stage over each partition into a map of its own (no writer needed) and
:meth:`ClassMap.merge` of those maps in partition order.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Optional

import orjson

from .errors import LbConvertError
from .model import ObjectAnnotation

__all__ = ["ClassMap", "CLASS_KEYS", "ontology_tools"]

CLASS_KEYS = ("name", "value", "schema")


class ClassMap:
    """Maps objects to 0-based class ids in a fixed, deterministic order.

    With a given list (``--classes`` / ``--ontology``) the map is *fixed*:
    objects of other classes get no id and are dropped by the writer
    (``class not in classes file``), never renumbered; it never grows.
    Without one, ids follow the order in which classes are first seen among
    the objects of the selected labels (:meth:`register`), whatever kind
    they are and whether or not the writer keeps them.

    ``key`` picks which field names a class: ``name`` (default), ``value``
    or ``schema`` (the feature schema id).  Each falls back to the next
    available field when the export lacks it.
    """

    def __init__(
        self, names: Iterable[str] = (), *, fixed: bool = False, key: str = "name"
    ) -> None:
        if key not in CLASS_KEYS:
            raise LbConvertError(f"class key must be one of {', '.join(CLASS_KEYS)}, not {key!r}")
        self.key = key
        self.fixed = fixed
        #: The drop reason of an object whose class a fixed list lacks.
        self.missing_reason = "class not in classes file"
        self._ids: dict[str, int] = {}
        self._titles: list[str] = []
        for name in names:
            if name in self._ids:
                raise LbConvertError(f"class {name!r} is listed twice")
            self._add(name, name)

    @classmethod
    def from_file(cls, path: "str | os.PathLike[str]", key: str = "name") -> "ClassMap":
        """One class per line, in id order; blank lines are ignored.  A byte
        order mark (a Windows editor's) is no part of the first name; bytes
        that are not UTF-8 or a class listed twice are errors naming the line."""
        with open(path, "rb") as handle:
            data = handle.read()
        where = os.fspath(path)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise LbConvertError(f"{where}:{line}: not UTF-8 text") from None
        found = cls(fixed=True, key=key)
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for lineno, name in enumerate(lines, 1):
            if name in found._ids:
                raise LbConvertError(f"{where}:{lineno}: class {name!r} is listed twice")
            if name.strip():
                found._add(name, name)
        return found

    @classmethod
    def from_ontology(cls, path: "str | os.PathLike[str]", key: str = "name") -> "ClassMap":
        """A Labelbox ontology JSON: its ``tools`` in order."""
        tools = ontology_tools(path)
        found = cls(fixed=True, key=key)
        found.missing_reason = "class not in ontology"
        for i, tool in enumerate(tools):
            name = tool.get("name") if isinstance(tool, dict) else None
            if not isinstance(name, str):
                raise LbConvertError(f"{os.fspath(path)}: tools[{i}] has no 'name'")
            schema = tool.get("featureSchemaId") or tool.get("schemaNodeId") or name
            ident = {"name": name, "value": tool.get("value") or name, "schema": schema}[key]
            if ident not in found._ids:
                found._add(ident, name)
        return found

    def _add(self, ident: str, title: str) -> int:
        self._ids[ident] = len(self._titles)
        self._titles.append(title)
        return self._ids[ident]

    def ident(self, obj: ObjectAnnotation) -> str:
        if self.key == "schema":
            return obj.schema_id or obj.name or obj.value or ""
        if self.key == "value":
            return obj.value or obj.name or obj.schema_id or ""
        return obj.name or obj.value or obj.schema_id or ""

    def register(self, objects: Iterable[ObjectAnnotation]) -> None:
        """Give the classes of ``objects`` ids, in order, unless they have one
        (the rule of first-seen ids; a fixed map never grows)."""
        if self.fixed:
            return
        ids = self._ids
        by_name = self.key == "name"
        for obj in objects:
            if by_name and obj.name in ids:  # the usual case, kept fast
                continue
            ident = self.ident(obj)
            if ident not in ids:
                self._add(ident, obj.name or ident)

    def merge(self, other: "ClassMap") -> None:
        """Add the classes of ``other`` this map lacks, in ``other``'s id order.
        Merging the maps of consecutive parts of an export, in order, gives
        the map of the whole export."""
        if other.key != self.key:
            raise LbConvertError(f"cannot merge classes keyed by {other.key} into {self.key}")
        if self.fixed:
            return
        for ident, title in zip(other._ids, other._titles):  # dicts keep insertion order
            if ident not in self._ids:
                self._add(ident, title)

    def ids_in(self, whole: "ClassMap") -> list[int]:
        """The id in ``whole`` of each of this map's classes, in this map's id
        order (a part's map against the export's, :mod:`lbconvert.plan`)."""
        return [whole._ids[ident] for ident in self._ids]

    def starts(self, whole: "ClassMap") -> bool:
        """Whether ``whole`` begins with this map's classes, ids and names alike."""
        return (
            list(zip(self._ids, self._titles)) == list(zip(whole._ids, whole._titles))[: len(self)]
        )

    def id_of(self, obj: ObjectAnnotation) -> Optional[int]:
        """The 0-based id of the object's class, or None when a fixed list lacks it.

        An object whose class was not registered (an item that did not come
        through the select stage, e.g. a writer driven by hand) registers it."""
        if self.key == "name" and obj.name:  # the usual case, kept fast
            found = self._ids.get(obj.name)
            if found is not None:
                return found
        ident = self.ident(obj)
        found = self._ids.get(ident)
        if found is None and not self.fixed:
            found = self._add(ident, obj.name or ident)
        return found

    @property
    def ids_by_name(self) -> Optional[dict[str, int]]:
        """The map's own ``{name: id}`` dict when names key the classes, else
        None: a writer's loop over objects may look ids up in it directly
        (it grows as classes are registered; never change it), and call
        :meth:`id_of` only for a name it lacks."""
        return self._ids if self.key == "name" else None

    @property
    def names(self) -> list[str]:
        """Display names in id order (the ``name`` of a schema-keyed class)."""
        return list(self._titles)

    def __len__(self) -> int:
        return len(self._titles)


def ontology_tools(path: "str | os.PathLike[str]") -> list[Any]:
    """The ``tools`` list of a Labelbox ontology JSON; one-line errors naming the file."""
    with open(path, "rb") as handle:
        data = handle.read()
    data = data.removeprefix(b"\xef\xbb\xbf")  # a byte order mark, as in a classes file
    try:
        ontology = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise LbConvertError(f"{os.fspath(path)}: not valid JSON ({exc})") from None
    tools = ontology.get("tools") if isinstance(ontology, dict) else None
    if not isinstance(tools, list):
        raise LbConvertError(f"{os.fspath(path)}: an ontology needs a 'tools' list")
    return tools
