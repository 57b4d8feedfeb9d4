"""Deterministic generator of realistic synthetic Labelbox exports.

Usage::

    python -m benchmarks.generate --rows N --shape v2-ndjson|v2-json|legacy \\
        --out FILE [--video-rows M] [--seed S] [--gzip] [--legacy-media-attributes]

or from Python::

    from benchmarks.generate import generate
    generate("export.ndjson", 10_000, shape="v2-ndjson", video_rows=10, seed=0)

Shapes
------
``v2-ndjson``
    One export-v2 data row per line (``project.export_v2`` / streamable
    export with every detail flag on), modelled on the full project-export
    sample in the Labelbox docs and on real exports: ``data_row``,
    ``media_attributes``, ``attachments``, ``metadata_fields``, ``projects``.
``v2-json``
    The same rows as a JSON array: ``[\\n`` + rows joined by ``,\\n`` +
    ``\\n]\\n``.  Every array element sits on its own line, so the array is
    the NDJSON twin with a trailing comma per line (``benchmarks.floor``
    relies on this).
``legacy``
    The legacy ``export_labels`` JSON array (one element per *label*), built
    from the very same generated rows, so a v2 file and a legacy file with the
    same seed describe the same images and the same annotations.  Legacy
    exports have no unlabeled data rows, so the ~10 % unlabeled rows are not
    written: a legacy file holds about 0.9 * N image elements (+ M video
    elements).  Polygons are not closed (legacy style), masks (instance and
    composite) become ``instanceURI``-only objects, every object carries an
    ``instanceURI``, skipped labels are ``"Label": {}`` with
    ``"Skipped": true``, and video rows carry their frames inline as a list
    (``"Label": [{"frameNumber", "objects", "classifications"}]``), like the
    SDK's LBV1 video test asset.  Legacy rows carry no image size unless
    ``legacy_media_attributes=True`` (real legacy exports had
    ``"Media Attributes": {}`` at best).

Content of an image row (v2)
----------------------------
* sizes from 1920x1080, 1280x720, 640x480, 1024x768, 4032x3024, 2560x1707,
  1080x1920; ~10 % PNG, otherwise JPEG;
* ~10 % unlabeled (``labels: []``, workflow status ``TO_LABEL``), ~2 % a
  skipped label (no annotations, ``skipped: true``), the rest one ``Default``
  label;
* 0-12 objects per label (Binomial(12, 0.5), mean 6): ~50 %
  ``ImageBoundingBox``, ~25 % ``ImagePolygon`` (8-30 distinct points, closed
  by repeating the first), ~8 % ``ImagePoint``, ~7 % ``ImagePolyline``
  (``line``), ~5 % ``ImageSegmentationMask`` with an instance ``mask.url``
  and ~5 % ``ImageSegmentationMask`` with ``composite_mask {url, color_rgb}``
  (one composite PNG per label, a distinct colour per instance);
* every coordinate lies inside the image (0 <= x <= width, 0 <= y <= height)
  and has 1-3 decimals;
* 30 % of objects carry a radio subclassification ("Occlusion"); when the
  answer is not "None", 40 % of those nest a checklist ("Occluded by");
* label-level classifications: radio "Time of day", checklist
  "Scene attributes" (1-3 answers), ~25 % free text "Notes" (some with
  quotes, newlines and non-ASCII text).

Ten tools (class names) - one per name, as in a Labelbox ontology:
bounding boxes Car, Person, Bicycle, Traffic sign; polygons Building,
Vegetation; point Head; polyline Lane marking; masks Road, Sky.
``PROJECT_ID`` / ``VIDEO_PROJECT_ID`` / ``ONTOLOGY_ID`` and all feature schema
ids are fixed (they do not depend on the seed).

Video rows (``video_rows=M``) are spread evenly among the image rows, belong
to their own project (``VIDEO_PROJECT_ID``, a Labelbox project holds one
media type) and hold one ``Video`` label with 1-3 bounding-box features
tracked over ~50 keyframes each (``frames``, ``segments``,
``key_frame_feature_map``), as in the SDK's streamable video export test.

Determinism: the output is a pure function of (rows, shape, video_rows, seed,
legacy_media_attributes) - byte-identical between runs, gzip included
(mtime 0, no file name in the header).  Image rows come from
``random.Random(seed)`` and video rows from a separate stream, so adding
video rows does not change the image rows, and the first K image rows of an
N-row file equal a K-row file (the global-key width is 6 digits up to
999,999 rows).  Only the standard library and orjson are used.
"""

from __future__ import annotations

import argparse
import gzip as _gzip
import math
import random
import sys
import time
from typing import Any, BinaryIO, Iterator

import orjson

__all__ = [
    "generate",
    "SHAPES",
    "PROJECT_ID",
    "VIDEO_PROJECT_ID",
    "ONTOLOGY_ID",
    "CLASS_NAMES",
]

SHAPES = ("v2-ndjson", "v2-json", "legacy")

# ---------------------------------------------------------------------------
# ids
# ---------------------------------------------------------------------------

_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_P2 = [a + b for a in _B36 for b in _B36]  # all 1296 two-char base36 strings
_36_4 = 36**4
_36_8 = 36**8


def _b36_8(v: int) -> str:
    """8-char base36 of 0 <= v < 36**8."""
    hi, lo = divmod(v, _36_4)
    return _P2[hi // 1296] + _P2[hi % 1296] + _P2[lo // 1296] + _P2[lo % 1296]


class _Cuid:
    """cuid-like ids: 'c' + 8 timestamp + 4 counter + 4 fingerprint + 8 random.

    25 lowercase base36 characters, like ``cldne8lok01w513ydagy8aifu``.
    Unique within a generator: the timestamp advances every 16 ids and the
    counter differs within those 16.
    """

    __slots__ = ("n", "t0", "bits", "ts_key", "ts_str")

    def __init__(self, rng: random.Random, t0_ms: int) -> None:
        self.n = 0
        self.t0 = t0_ms
        self.bits = rng.getrandbits
        self.ts_key = -1
        self.ts_str = ""

    def __call__(self, fp: str) -> str:
        n = self.n
        self.n = n + 1
        ts = self.t0 + (n >> 4)
        if ts != self.ts_key:
            self.ts_key = ts
            self.ts_str = "c" + _b36_8(ts)
        c = n % _36_4
        return (
            self.ts_str
            + _P2[c // 1296]
            + _P2[c % 1296]
            + fp
            + _b36_8(self.bits(42) % _36_8)
        )


def _fingerprint(rng: random.Random) -> str:
    v = rng.randrange(_36_4)
    return _P2[v // 1296] + _P2[v % 1296]


def _uuid(rng: random.Random) -> str:
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# ---------------------------------------------------------------------------
# fixed ontology / projects (seed independent)
# ---------------------------------------------------------------------------

_KIND_BBOX = "ImageBoundingBox"
_KIND_POLYGON = "ImagePolygon"
_KIND_POINT = "ImagePoint"
_KIND_LINE = "ImagePolyline"
_KIND_MASK = "ImageSegmentationMask"
_COMPOSITE = "composite"  # internal tag: ImageSegmentationMask + composite_mask


def _value_of(name: str) -> str:
    return name.lower().replace(" ", "_")


class _Tool:
    __slots__ = ("name", "value", "schema_id", "color", "occl")

    def __init__(self, name: str, schema_id: str, color: str, occl: dict) -> None:
        self.name = name
        self.value = _value_of(name)
        self.schema_id = schema_id
        self.color = color
        self.occl = occl


def _build_ontology() -> dict[str, Any]:
    rng = random.Random("lbconvert-bench-ontology-v1")
    ids = _Cuid(rng, 1_675_000_000_000)  # early Feb 2023
    fp = _fingerprint(rng)
    nid = lambda: ids(fp)  # noqa: E731

    def option(name: str, sub: list | None = None) -> dict:
        return {"name": name, "value": _value_of(name), "schema_id": nid(), "sub": sub}

    def occlusion_schema() -> dict:
        occluded_by = {
            "name": "Occluded by",
            "value": "occluded_by",
            "schema_id": nid(),
            "options": [option(n) for n in ("Vehicle", "Person", "Vegetation", "Other")],
        }
        return {
            "name": "Occlusion",
            "value": "occlusion",
            "schema_id": nid(),
            "options": [
                option("None"),
                option("Partial", occluded_by),
                option("Heavy", occluded_by),
            ],
        }

    tools: dict[str, list[_Tool]] = {}
    spec = [
        (_KIND_BBOX, [("Car", "#1CE6FF"), ("Person", "#FF34FF"), ("Bicycle", "#FF4A46"),
                      ("Traffic sign", "#008941")]),
        (_KIND_POLYGON, [("Building", "#006FA6"), ("Vegetation", "#A30059")]),
        (_KIND_POINT, [("Head", "#FFDBE5")]),
        (_KIND_LINE, [("Lane marking", "#7A4900")]),
        (_KIND_MASK, [("Road", "#0000A6"), ("Sky", "#63FFAC")]),
    ]
    for kind, names in spec:
        tools[kind] = [_Tool(n, nid(), c, occlusion_schema()) for n, c in names]
    tools[_COMPOSITE] = tools[_KIND_MASK]

    glob = {
        "time_of_day": {
            "name": "Time of day",
            "value": "time_of_day",
            "schema_id": nid(),
            "options": [option(n) for n in ("Day", "Night", "Dusk")],
        },
        "scene": {
            "name": "Scene attributes",
            "value": "scene_attributes",
            "schema_id": nid(),
            "options": [
                option(n)
                for n in ("Crowded", "Foot traffic", "Vehicle traffic", "Construction",
                          "Occluded view")
            ],
        },
        "notes": {"name": "Notes", "value": "notes", "schema_id": nid()},
    }
    return {
        "project_id": nid(),
        "video_project_id": nid(),
        "ontology_id": nid(),
        "dataset_id": nid(),
        "video_dataset_id": nid(),
        "task_id": nid(),
        "tools": tools,
        "global": glob,
        "legacy_token": (
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VySWQiOiJ"
            + "".join(rng.choice(_B36 + "ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(120))
            + "fQ."
            + "".join(rng.choice(_B36 + "ABCDEFGHIJKLMNOPQRSTUVWXYZ-_") for _ in range(43))
        ),
    }


_ONT = _build_ontology()
PROJECT_ID: str = _ONT["project_id"]
VIDEO_PROJECT_ID: str = _ONT["video_project_id"]
ONTOLOGY_ID: str = _ONT["ontology_id"]
CLASS_NAMES: tuple[str, ...] = tuple(
    t.name for k in (_KIND_BBOX, _KIND_POLYGON, _KIND_POINT, _KIND_LINE, _KIND_MASK)
    for t in _ONT["tools"][k]
)
PROJECT_NAME = "Street scenes \u2013 detection v3"
VIDEO_PROJECT_NAME = "Street scenes \u2013 video tracking"
DATASET_NAME = "street-scenes-2023"
VIDEO_DATASET_NAME = "street-scenes-video-2023"

# (width, height, weight)
_IMAGE_SIZES = [
    (1920, 1080, 35), (1280, 720, 25), (640, 480, 20), (1024, 768, 8),
    (4032, 3024, 5), (2560, 1707, 4), (1080, 1920, 3),
]
_SIZE_TABLE = [(w, h) for w, h, k in _IMAGE_SIZES for _ in range(k)]  # 100 entries

# cumulative object-kind thresholds
_KIND_CUM = [
    (0.50, _KIND_BBOX), (0.75, _KIND_POLYGON), (0.83, _KIND_POINT),
    (0.90, _KIND_LINE), (0.95, _KIND_MASK), (1.01, _COMPOSITE),
]

_LABELERS = [f"labeler{i}@example.com" for i in range(1, 7)]
_NOTES = [
    "Blurry near the right edge",
    "Glare from windshield \u2013 partially occluded",
    'Check "Traffic sign" class, might be a billboard',
    "Low light, re-check small objects",
    "Duplicate of an earlier frame?",
    "Caf\u00e9 terrace; na\u00efve annotation of chairs skipped \u2014 \u6771\u4eac",
    "Multi-line note:\nline 2\tindented",
    "sample text",
    "Reflections in shop windows not labeled \\ ignore",
    "\U0001f697 emoji in a note",
]
_FRAME_RATES = (25, 30, 30, 29.97)
_T0 = 1_677_628_800  # 2023-03-01T00:00:00Z


def _iso(t: float) -> str:
    """Export-v2 timestamp like ``2023-05-16T11:50:48.000+00:00``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime(t))


_SCALES = (10.0, 100.0, 1000.0)

# ---------------------------------------------------------------------------
# v2 row generation
# ---------------------------------------------------------------------------


class _RowMaker:
    """Builds v2 data-row dicts; one instance per (seed, stream)."""

    def __init__(self, rng: random.Random, t0_ms: int, key_width: int) -> None:
        self.rng = rng
        self.ids = _Cuid(rng, t0_ms)
        self.server_fp = _fingerprint(rng)
        self.labeler_fps = [_fingerprint(rng) for _ in _LABELERS]
        self.key_width = key_width
        self.batches: list[tuple[str, int]] = []

    # -- helpers -----------------------------------------------------------
    def _batch(self, i: int) -> tuple[str, int]:
        b = i // 1000
        while len(self.batches) <= b:  # drawn lazily, in order -> deterministic
            self.batches.append((_uuid(self.rng), self.rng.randint(1, 5)))
        return self.batches[b]

    @staticmethod
    def _feature(feature_id: str, schema: dict, **answer: Any) -> dict:
        """A classification or answer: ids and names of ``schema`` plus ``answer``.
        The caller draws ``feature_id`` first, so ids come in document order."""
        return {"feature_id": feature_id, "feature_schema_id": schema["schema_id"],
                "name": schema["name"], "value": schema["value"], **answer}

    def _occlusion(self, tool: _Tool, fp: str) -> dict:
        rng = self.rng
        ids = self.ids
        feature = self._feature
        sch = tool.occl
        r = rng.random()
        opt = sch["options"][0 if r < 0.5 else (1 if r < 0.85 else 2)]
        nested: list = []
        if opt["sub"] is not None and rng.random() < 0.4:
            sub = opt["sub"]
            picks = rng.sample(sub["options"], 1 + (rng.random() < 0.3))
            nested.append(feature(ids(fp), sub, checklist_answers=[
                feature(ids(fp), p, classifications=[]) for p in picks]))
        return feature(ids(fp), sch, radio_answer=feature(ids(fp), opt, classifications=nested))

    def _label_classifications(self, fp: str) -> list:
        rng = self.rng
        ids = self.ids
        feature = self._feature
        g = _ONT["global"]
        out = []
        tod = g["time_of_day"]
        r = rng.random()
        opt = tod["options"][0 if r < 0.7 else (1 if r < 0.9 else 2)]
        out.append(feature(ids(fp), tod, radio_answer=feature(ids(fp), opt, classifications=[])))
        sc = g["scene"]
        picks = rng.sample(sc["options"], rng.randint(1, 3))
        out.append(feature(ids(fp), sc, checklist_answers=[
            feature(ids(fp), p, classifications=[]) for p in picks]))
        if rng.random() < 0.25:
            out.append(feature(ids(fp), g["notes"], text_answer={"content": rng.choice(_NOTES)}))
        return out

    def _objects(self, W: int, H: int, fp: str) -> list:
        rng = self.rng
        rnd = rng.random
        randint = rng.randint
        ids = self.ids
        tools = _ONT["tools"]
        n = bin(rng.getrandbits(12)).count("1")  # Binomial(12, 0.5)
        objs = []
        composite_id = None
        used_colors: set = set()
        for _ in range(n):
            r = rnd()
            for thr, kind in _KIND_CUM:
                if r < thr:
                    break
            kt = tools[kind]
            tool = kt[int(rnd() * len(kt))]
            fid = ids(fp)
            s = _SCALES[int(rnd() * 3)]
            o = {
                "feature_id": fid,
                "feature_schema_id": tool.schema_id,
                "name": tool.name,
                "value": tool.value,
                "annotation_kind": _KIND_MASK if kind is _COMPOSITE else kind,
                "classifications": [self._occlusion(tool, fp)] if rnd() < 0.3 else [],
            }
            if kind is _KIND_BBOX:
                fw = 0.02 + 0.45 * rnd() * rnd()
                w = int(W * fw * s) / s
                h = int(min(H, W * fw * (0.4 + 1.4 * rnd())) * s) / s
                o["bounding_box"] = {
                    "top": int(rnd() * (H - h) * s) / s,
                    "left": int(rnd() * (W - w) * s) / s,
                    "height": h,
                    "width": w,
                }
            elif kind is _KIND_POLYGON:
                m = min(W, H)
                rx = m * (0.04 + 0.3 * rnd())
                ry = rx * (0.6 + 0.8 * rnd())
                if ry > H / 2:
                    ry = H / 2
                cx = rx + rnd() * (W - 2 * rx)
                cy = ry + rnd() * (H - 2 * ry)
                k = randint(8, 30)
                step = 6.283185307179586 / k
                ph = rnd() * step
                pts = []
                for j in range(k):
                    a = ph + (j + 0.8 * rnd()) * step
                    f = 0.45 + 0.55 * rnd()
                    x = cx + rx * f * math.cos(a)
                    y = cy + ry * f * math.sin(a)
                    pts.append({
                        "x": int((x if x > 0 else 0) * s) / s,
                        "y": int((y if y > 0 else 0) * s) / s,
                    })
                pts.append(dict(pts[0]))  # closed, like the export
                o["polygon"] = pts
            elif kind is _KIND_POINT:
                o["point"] = {"x": int(rnd() * W * s) / s, "y": int(rnd() * H * s) / s}
            elif kind is _KIND_LINE:
                k = randint(2, 24)
                x = rnd() * W
                y = rnd() * H
                a = rnd() * 6.283185307179586
                stepl = min(W, H) * (0.02 + 0.06 * rnd())
                pts = []
                for _j in range(k):
                    pts.append({"x": int(x * s) / s, "y": int(y * s) / s})
                    a += (rnd() - 0.5) * 0.9
                    x += stepl * math.cos(a)
                    y += stepl * math.sin(a)
                    x = 0.0 if x < 0 else (W if x > W else x)
                    y = 0.0 if y < 0 else (H if y > H else y)
                o["line"] = pts
            elif kind is _KIND_MASK:
                o["mask"] = {
                    "url": f"https://api.labelbox.com/api/v1/projects/{PROJECT_ID}"
                    f"/annotations/{fid}/index/1/mask"
                }
            else:  # composite
                if composite_id is None:
                    composite_id = ids(self.server_fp)
                while True:
                    c = rng.getrandbits(24)
                    if c and c not in used_colors:
                        used_colors.add(c)
                        break
                o["composite_mask"] = {
                    "url": f"https://api.labelbox.com/api/v1/tasks/{_ONT['task_id']}"
                    f"/masks/{composite_id}/index/1",
                    "color_rgb": [c >> 16, (c >> 8) & 255, c & 255],
                }
            objs.append(o)
        return objs

    def _data_row(self, i: int, prefix: str, ext: str, dataset_id: str,
                  dataset_name: str, bucket_dir: str) -> tuple[dict, float]:
        rng = self.rng
        key = f"{prefix}-{i:0{self.key_width}d}.{ext}"
        t_created = _T0 + i * 7 + rng.randint(0, 6)
        dr = {
            "id": self.ids(self.server_fp),
            "global_key": key,
            "external_id": key,
            "row_data": f"https://storage.googleapis.com/lbconvert-bench/{bucket_dir}/{key}",
            "details": {
                "dataset_id": dataset_id,
                "dataset_name": dataset_name,
                "created_at": _iso(t_created),
                "updated_at": _iso(t_created),
                "created_by": _LABELERS[0],
            },
        }
        return dr, t_created

    def _label_details(self, t_created: float, li: int) -> tuple[dict, dict, float, float]:
        rng = self.rng
        t_label = t_created + rng.randint(3_600, 30 * 86_400)
        secs = rng.randint(5, 600)
        t_upd = t_label + secs + (rng.randint(0, 5 * 86_400) if rng.random() < 0.3 else 0)
        details = {
            "created_at": _iso(t_label),
            "updated_at": _iso(t_upd),
            "created_by": _LABELERS[li],
            "reviews": [],
        }
        perf = {"seconds_to_create": secs, "seconds_to_review": 0, "skipped": False}
        if rng.random() < 0.2:
            perf["seconds_to_review"] = rng.randint(3, 120)
        return details, perf, t_label, t_upd

    def _project_details(self, i: int, done: bool) -> dict:
        batch_id, prio = self._batch(i)
        return {
            "ontology_id": ONTOLOGY_ID,
            "task_name": "Done" if done else "Initial labeling task",
            "batch_id": batch_id,
            "workflow_status": "DONE" if done else "TO_LABEL",
            "priority": prio,
            "consensus_expected_label_count": 1,
            "workflow_history": [],
        }

    # -- rows --------------------------------------------------------------
    def image_row(self, i: int) -> dict:
        rng = self.rng
        rnd = rng.random
        W, H = _SIZE_TABLE[int(rnd() * 100)]
        png = rnd() < 0.1
        dr, t_created = self._data_row(
            i, "img", "png" if png else "jpg", _ONT["dataset_id"], DATASET_NAME, "images"
        )
        u = rnd()
        if u < 0.10:  # unlabeled
            labels: list = []
            done = False
        else:
            li = int(rnd() * len(_LABELERS))
            fp = self.labeler_fps[li]
            details, perf, _, _ = self._label_details(t_created, li)
            label_id = self.ids(fp)
            if u < 0.12:  # skipped
                perf["skipped"] = True
                perf["seconds_to_create"] = rng.randint(1, 20)
                ann = {"objects": [], "classifications": [], "relationships": []}
            else:
                ann = {
                    "objects": self._objects(W, H, fp),
                    "classifications": self._label_classifications(fp),
                    "relationships": [],
                }
            labels = [{
                "label_kind": "Default",
                "version": "1.0.0",
                "id": label_id,
                "label_details": details,
                "performance_details": perf,
                "annotations": ann,
            }]
            done = True
        return {
            "data_row": dr,
            "media_attributes": {
                "height": H,
                "width": W,
                "mime_type": "image/png" if png else "image/jpeg",
            },
            "attachments": [],
            "metadata_fields": [],
            "projects": {
                PROJECT_ID: {
                    "name": PROJECT_NAME,
                    "labels": labels,
                    "project_details": self._project_details(i, done),
                }
            },
        }

    def video_row(self, i: int) -> dict:
        rng = self.rng
        rnd = rng.random
        ids = self.ids
        W, H = (1920, 1080) if rnd() < 0.6 else (1280, 720)
        fc = rng.randint(150, 900)
        fr = rng.choice(_FRAME_RATES)
        dr, t_created = self._data_row(
            i, "vid", "mp4", _ONT["video_dataset_id"], VIDEO_DATASET_NAME, "videos"
        )
        li = int(rnd() * len(_LABELERS))
        fp = self.labeler_fps[li]
        details, perf, _, _ = self._label_details(t_created, li)
        details = {**details, "content_last_updated_at": details["updated_at"]}
        details["reviews"] = details.pop("reviews")
        perf["seconds_to_create"] *= 10
        label_id = ids(fp)
        bbox_tools = _ONT["tools"][_KIND_BBOX][:3]
        frames: dict[int, dict] = {}
        segments: dict[str, list] = {}
        kfmap: dict[str, dict] = {}
        for _f in range(rng.randint(1, 3)):
            tool = bbox_tools[int(rnd() * len(bbox_tools))]
            fid = ids(fp)
            nkf = min(fc, rng.randint(40, 60))
            span = rng.randint(min(fc, 2 * nkf), fc)  # the track covers part of the video
            first = rng.randint(1, fc - span + 1)
            kfs = sorted(rng.sample(range(first, first + span), nkf))
            if nkf >= 10 and rnd() < 0.3:
                cut = rng.randint(3, nkf - 5)
                groups = [kfs[:cut], kfs[cut + 2:]]  # the object leaves, comes back
                kfs = groups[0] + groups[1]
            else:
                groups = [kfs]
            segments[fid] = [[g[0], g[-1]] for g in groups]
            fmap = {}
            for gi, g in enumerate(groups):
                for f in g:
                    fmap[f] = True
                if gi > 0 and rnd() < 0.5:
                    fmap[g[0]] = False
            kfmap[fid] = {str(f): fmap[f] for f in kfs}
            # a box drifting smoothly across the keyframes
            s = _SCALES[int(rnd() * 3)]
            bw = W * (0.05 + 0.25 * rnd())
            bh = min(H * 0.9, bw * (0.5 + 1.2 * rnd()))
            x = rnd() * (W - bw)
            y = rnd() * (H - bh)
            vx = (rnd() - 0.5) * 20
            vy = (rnd() - 0.5) * 10
            sub = None
            if rnd() < 0.3:
                sub = self._occlusion(tool, fp)
            for f in kfs:
                x += vx + (rnd() - 0.5) * 6
                y += vy + (rnd() - 0.5) * 4
                if x < 0 or x > W - bw:
                    vx = -vx
                    x = 0.0 if x < 0 else W - bw
                if y < 0 or y > H - bh:
                    vy = -vy
                    y = 0.0 if y < 0 else H - bh
                obj = {
                    "feature_id": fid,
                    "feature_schema_id": tool.schema_id,
                    "name": tool.name,
                    "value": tool.value,
                    "annotation_kind": "VideoBoundingBox",
                    "classifications": [sub] if (sub is not None and rnd() < 0.7) else [],
                    "bounding_box": {
                        "top": int(y * s) / s,
                        "left": int(x * s) / s,
                        "height": int(bh * s) / s,
                        "width": int(bw * s) / s,
                    },
                }
                fr_ = frames.get(f)
                if fr_ is None:
                    fr_ = frames[f] = {"objects": {}, "classifications": []}
                fr_["objects"][fid] = obj
        ann = {
            "frames": {str(f): frames[f] for f in sorted(frames)},
            "segments": segments,
            "key_frame_feature_map": kfmap,
            "classifications": [],
        }
        return {
            "data_row": dr,
            "media_attributes": {
                "width": W,
                "height": H,
                "frame_count": fc,
                "frame_rate": fr,
                "mime_type": "video/mp4",
            },
            "attachments": [],
            "metadata_fields": [],
            "projects": {
                VIDEO_PROJECT_ID: {
                    "name": VIDEO_PROJECT_NAME,
                    "labels": [{
                        "label_kind": "Video",
                        "version": "1.0.0",
                        "id": label_id,
                        "label_details": details,
                        "performance_details": perf,
                        "annotations": ann,
                    }],
                    "project_details": self._project_details(i, True),
                }
            },
        }


# ---------------------------------------------------------------------------
# legacy rendering (from a v2 row)
# ---------------------------------------------------------------------------

_TOOL_COLOR = {t.schema_id: t.color for ts in _ONT["tools"].values() for t in ts}


def _legacy_answer(a: dict) -> dict:
    out = {
        "featureId": a["feature_id"],
        "schemaId": a["feature_schema_id"],
        "title": a["name"],
        "value": a["value"],
    }
    if a.get("classifications"):
        out["classifications"] = [_legacy_cls(c) for c in a["classifications"]]
    return out


def _legacy_cls(c: dict) -> dict:
    out = {
        "featureId": c["feature_id"],
        "schemaId": c["feature_schema_id"],
        "title": c["name"],
        "value": c["value"],
    }
    if "radio_answer" in c:
        out["answer"] = _legacy_answer(c["radio_answer"])
    elif "checklist_answers" in c:
        out["answers"] = [_legacy_answer(a) for a in c["checklist_answers"]]
    else:
        out["answer"] = c["text_answer"]["content"]
    return out


def _legacy_object(o: dict, token: str) -> dict:
    fid = o["feature_id"]
    out = {
        "featureId": fid,
        "schemaId": o["feature_schema_id"],
        "title": o["name"],
        "value": o["value"],
        "color": _TOOL_COLOR[o["feature_schema_id"]],
    }
    if "bounding_box" in o:
        out["bbox"] = o["bounding_box"]
    elif "polygon" in o:
        out["polygon"] = o["polygon"][:-1]  # legacy polygons are not closed
    elif "point" in o:
        out["point"] = o["point"]
    elif "line" in o:
        out["line"] = o["line"]
    out["instanceURI"] = f"https://api.labelbox.com/masks/feature/{fid}?token={token}"
    if o["classifications"]:
        out["classifications"] = [_legacy_cls(c) for c in o["classifications"]]
    return out


def _to_legacy(row: dict, media_attributes: bool) -> dict | None:
    (pid, proj), = row["projects"].items()
    if not proj["labels"]:
        return None  # export_labels has no unlabeled data rows
    lab = proj["labels"][0]
    dr = row["data_row"]
    ld = lab["label_details"]
    perf = lab["performance_details"]
    ann = lab["annotations"]
    token = _ONT["legacy_token"]
    if lab["label_kind"] == "Video":
        frames = []
        kfmap = ann["key_frame_feature_map"]
        for fno, fr in ann["frames"].items():
            objs = []
            for fid, o in fr["objects"].items():
                lo = {
                    "featureId": fid,
                    "schemaId": o["feature_schema_id"],
                    "title": o["name"],
                    "value": o["value"],
                    "color": _TOOL_COLOR[o["feature_schema_id"]],
                    "keyframe": kfmap[fid][fno],
                    "bbox": o["bounding_box"],
                    "classifications": [_legacy_cls(c) for c in o["classifications"]],
                }
                objs.append(lo)
            frames.append({"frameNumber": int(fno), "classifications": [], "objects": objs})
        label: Any = frames
    elif perf["skipped"]:
        label = {}
    else:
        label = {
            "objects": [_legacy_object(o, token) for o in ann["objects"]],
            "classifications": [_legacy_cls(c) for c in ann["classifications"]],
        }
    out = {"ID": lab["id"], "DataRow ID": dr["id"]}
    if media_attributes:
        ma = row["media_attributes"]
        out["Media Attributes"] = {
            k: ma[k_v2] for k, k_v2 in (
                ("width", "width"), ("height", "height"), ("frameCount", "frame_count"),
                ("frameRate", "frame_rate"), ("mimeType", "mime_type"),
            ) if k_v2 in ma
        }
    out.update({
        "Labeled Data": dr["row_data"],
        "Label": label,
        "Created By": ld["created_by"],
        "Project Name": proj["name"],
        "Created At": ld["created_at"].replace("+00:00", "Z"),
        "Updated At": ld["updated_at"].replace("+00:00", "Z"),
        "Seconds to Label": perf["seconds_to_create"] + _hash_frac(lab["id"]),
        "External ID": dr["external_id"],
        "Agreement": -1,
        "Benchmark Agreement": -1,
        "Benchmark ID": None,
        "Dataset Name": dr["details"]["dataset_name"],
        "Reviews": [],
        "View Label": f"https://editor.labelbox.com?project={pid}&label={lab['id']}",
        "Has Open Issues": 0,
        "Skipped": perf["skipped"],
    })
    return out


def _hash_frac(s: str) -> float:
    """Deterministic 0.000-0.999 fraction from an id (legacy seconds are floats)."""
    return (int(s[-3:], 36) % 1000) / 1000


# ---------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------


def _iter_rows(rows: int, video_rows: int, seed: int) -> Iterator[dict]:
    """Yield v2 rows: `rows` image rows with `video_rows` video rows spread evenly."""
    total = rows + video_rows
    width = max(6, len(str(max(rows, video_rows))))
    img = _RowMaker(random.Random(seed), 1_677_628_800_000, width)
    vid = _RowMaker(random.Random(f"lbconvert-video-{seed}"), 1_688_000_000_000, width) \
        if video_rows else None
    ii = vi = 0
    for k in range(total):
        if video_rows and (k + 1) * video_rows // total > k * video_rows // total:
            yield vid.video_row(vi)  # type: ignore[union-attr]
            vi += 1
        else:
            yield img.image_row(ii)
            ii += 1


class _Sink:
    """Chunked writer (1 MiB) over a plain or gzip file."""

    def __init__(self, path: str, gz: bool) -> None:
        self.raw: BinaryIO = open(path, "wb")
        self.gz = (
            _gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, mtime=0, compresslevel=6)
            if gz else None
        )
        self.out = self.gz if self.gz is not None else self.raw
        self.parts: list[bytes] = []
        self.size = 0
        self.written = 0

    def write(self, b: bytes) -> None:
        self.parts.append(b)
        self.size += len(b)
        if self.size >= 1 << 20:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            data = b"".join(self.parts)
            self.out.write(data)
            self.written += len(data)
            self.parts = []
            self.size = 0

    def close(self) -> None:
        self.flush()
        if self.gz is not None:
            self.gz.close()
        self.raw.close()


def _generate(path: str, rows: int, shape: str, video_rows: int, seed: int,
              gzip: bool, legacy_media_attributes: bool) -> tuple[int, int]:
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}, not {shape!r}")
    if rows < 0 or video_rows < 0:
        raise ValueError("rows and video_rows must be >= 0")
    dumps = orjson.dumps
    sink = _Sink(path, gzip)
    n = 0
    try:
        if shape == "v2-ndjson":
            nl = orjson.OPT_APPEND_NEWLINE
            for row in _iter_rows(rows, video_rows, seed):
                sink.write(dumps(row, option=nl))
                n += 1
        else:
            legacy = shape == "legacy"
            sink.write(b"[\n")
            for row in _iter_rows(rows, video_rows, seed):
                if legacy:
                    row = _to_legacy(row, legacy_media_attributes)  # type: ignore[assignment]
                    if row is None:
                        continue
                if n:
                    sink.write(b",\n")
                sink.write(dumps(row))
                n += 1
            sink.write(b"\n]\n" if n else b"]\n")
    finally:
        sink.close()
    return n, sink.written


def generate(path: str, rows: int, shape: str = "v2-ndjson", video_rows: int = 0,
             seed: int = 0, gzip: bool = False, *,
             legacy_media_attributes: bool = False) -> None:
    """Write a synthetic Labelbox export to `path` (streamed, row by row).

    rows: image data rows; video_rows: extra video data rows spread among them;
    shape: "v2-ndjson", "v2-json" or "legacy" (see the module docstring);
    gzip: gzip-compress the output (deterministic header; the name of `path`
    is not changed or checked); legacy_media_attributes: add
    ``"Media Attributes": {width, height, mimeType}`` to legacy rows.
    """
    _generate(path, rows, shape, video_rows, seed, gzip, legacy_media_attributes)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.generate",
        description="Generate a deterministic synthetic Labelbox export.",
    )
    ap.add_argument("--rows", type=int, required=True, help="image data rows")
    ap.add_argument("--shape", choices=SHAPES, default="v2-ndjson")
    ap.add_argument("--out", required=True, help="output file")
    ap.add_argument("--video-rows", type=int, default=0, help="extra video data rows")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--gzip", action="store_true", help="gzip-compress the output")
    ap.add_argument("--legacy-media-attributes", action="store_true",
                    help="legacy shape: add 'Media Attributes' with the image size")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args(argv)
    t = time.perf_counter()
    n, nbytes = _generate(a.out, a.rows, a.shape, a.video_rows, a.seed, a.gzip,
                          a.legacy_media_attributes)
    dt = time.perf_counter() - t
    if not a.quiet:
        print(f"wrote {a.out}: {n} elements, {nbytes} bytes"
              f"{' (before gzip)' if a.gzip else ''} in {dt:.2f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
