"""``data.yaml`` of a YOLO dataset (see :mod:`lbconvert.write.yolo`), and the
split names it allows.

``data.yaml`` (PyYAML ``safe_dump``): ``train``, ``val`` and ``test`` are
relative to the yaml's folder (``images/train`` …) and no ``path:`` is written
(Ultralytics would resolve a relative one against the working directory);
``absolute`` writes ``path:`` as the output's absolute path.  ``train`` is the
``train`` split, else the first split present (val, test, then other names
alphabetically); ``val`` is the ``val`` split, else the same images as
``train``; ``test`` only when present.  Other split names are written to disk
but not referenced.  ``names`` maps ids ``0..nc-1`` to class names (always
double-quoted, so names like ``yes``, ``1st`` or ``a: "b"`` load back as the
same strings), ``nc`` is their count (every class of the export, see :mod:`lbconvert.classes`,
also those this task writes no row of); with no class at all the
conversion fails (Ultralytics refuses ``nc: 0``) unless ``allow_empty``;
pose adds ``kpt_shape: [K, 3]`` and an
identity ``flip_idx`` (edit it to pair left/right keypoints before training
with horizontal flips).

PyYAML is imported on first use, so that conversions to other formats do not
pay for importing it.
"""

from __future__ import annotations

import os
from typing import Any, Collection, Optional

from ..errors import LbConvertError

__all__ = ["check_split_name", "data_yaml"]

#: Keys of data.yaml that a split name must not shadow.
_YAML_KEYS = frozenset(
    {"path", "names", "nc", "kpt_shape", "flip_idx", "download", "channels", "yaml_file", "minival"}
)
_SPLITS = ("train", "val", "test")


def check_split_name(split: str) -> None:
    """LbConvertError unless ``split`` can name the folders ``images/<split>``
    and ``labels/<split>`` and shadows no key of ``data.yaml``."""
    if (
        not split
        or split in (".", "..")
        or os.path.basename(split) != split
        or "\\" in split
        or split in _YAML_KEYS
    ):
        raise LbConvertError(f"split name {split!r} cannot be used for yolo")


def data_yaml(
    present: Collection[str], names: list[str], path: Optional[str], keypoints: Optional[int]
) -> str:
    """The text of ``data.yaml``: ``present`` are the splits written (at least
    one), ``names`` the class names in id order, ``path`` the ``path:`` to
    write (None: none), ``keypoints`` the keypoint count of a pose dataset
    (None: not pose)."""
    import yaml

    order = [s for s in _SPLITS if s in present] + sorted(s for s in present if s not in _SPLITS)
    train = order[0]
    head: dict[str, Any] = {}
    if path is not None:
        head["path"] = path
    head["train"] = f"images/{train}"
    head["val"] = "images/val" if "val" in present else f"images/{train}"
    if "test" in present:
        head["test"] = "images/test"
    head["nc"] = len(names)
    quoted = {i: _Quoted(name) for i, name in enumerate(names)}
    dump = dict(Dumper=_dumper(), allow_unicode=True, sort_keys=False, width=1 << 30)
    text: str = "# converted from a Labelbox export by lbconvert\n"
    text += yaml.dump(head, default_flow_style=False, **dump)
    text += yaml.dump({"names": quoted}, default_flow_style=False, **dump)
    if keypoints is not None:
        text += yaml.dump(
            {"kpt_shape": [keypoints, 3], "flip_idx": list(range(keypoints))},
            default_flow_style=None,
            **dump,
        )
    return text


# --- class names always double-quoted ---


class _Quoted(str):
    """A string PyYAML writes double-quoted, whatever it looks like."""


_dumper_class: Any = None


def _dumper() -> Any:
    """A SafeDumper that double-quotes :class:`_Quoted` (PyYAML imported on first use)."""
    global _dumper_class
    if _dumper_class is None:
        import yaml

        class Dumper(yaml.SafeDumper):
            pass

        Dumper.add_representer(
            _Quoted,
            lambda dumper, value: dumper.represent_scalar(
                "tag:yaml.org,2002:str", str(value), style='"'
            ),
        )
        _dumper_class = Dumper
    return _dumper_class
