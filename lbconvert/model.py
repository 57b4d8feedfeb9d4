"""The common annotation model: the contract between readers and writers.

Every record is a frozen, slotted ``msgspec.Struct``.  The v2 reader decodes
export lines straight into these classes (unknown JSON fields are skipped in C
and never become Python objects), which is why field names follow the Labelbox
v2 export (``bounding_box``, ``feature_schema_id`` …) and why object kinds form
a tagged union on ``annotation_kind``.  The legacy reader builds the same
records by hand.

Coordinates are floats in pixels exactly as exported, origin at the image's
top-left corner (geospatial objects keep ``[lng, lat]``).  Writers convert at
the edges (COCO ``[x, y, w, h]``, YOLO normalised centres, VOC 1-based ints).

Writers dispatch on the class of an object::

    match obj:
        case BoxAnnotation(bounding_box=box): ...
        case PolygonAnnotation(polygon=points): ...

Each object class has a ``kind`` (``"bbox"``, ``"polygon"`` …) used in
reports; ``annotation_kind`` gives the Labelbox name it was read from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Optional, Union, cast

from msgspec import Meta, Struct, field

__all__ = [
    "Point",
    "Box",
    "PageSize",
    "TextSpan",
    "ConversationLocation",
    "TokenGroup",
    "DocumentLocation",
    "MaskRef",
    "CompositeMaskRef",
    "RelationshipEnds",
    "Answer",
    "TextAnswer",
    "Classification",
    "ObjectAnnotation",
    "BoxAnnotation",
    "PolygonAnnotation",
    "PolylineAnnotation",
    "PointAnnotation",
    "MaskAnnotation",
    "TextEntityAnnotation",
    "ConversationEntityAnnotation",
    "DocumentEntityAnnotation",
    "DocumentBoxAnnotation",
    "GeoAnnotation",
    "CuboidAnnotation",
    "RelationshipAnnotation",
    "UnknownAnnotation",
    "AnyObject",
    "Frame",
    "DicomGroup",
    "LabelAnnotations",
    "PerformanceDetails",
    "Label",
    "ProjectDetails",
    "Project",
    "Run",
    "Experiment",
    "DataRowInfo",
    "MediaAttributes",
    "DataRow",
    "Item",
    "OBJECT_CLASSES",
    "UNKNOWN_KIND",
]


#: Frame and page numbers and text offsets: they become parts of file names and
#: JSON integers, so one beyond +-2**53 (a corrupt export) is refused on reading.
BoundedInt = Annotated[int, Meta(ge=-(1 << 53), le=1 << 53)]


# --- geometry values -------------------------------------------------------


class Point(Struct, frozen=True, gc=False):
    x: float
    y: float


class Box(Struct, frozen=True, gc=False):
    """Axis-aligned box: left/top corner plus size, in pixels."""

    left: float
    top: float
    width: float
    height: float


class PageSize(Struct, frozen=True, gc=False):
    width: float
    height: float


class TextSpan(Struct, frozen=True, gc=False):
    start: BoundedInt
    end: BoundedInt
    token: Optional[str] = None


class ConversationLocation(Struct, frozen=True, gc=False):
    message_id: str
    location: TextSpan


class TokenGroup(Struct, frozen=True):
    id: str = ""
    page_number: BoundedInt = 0
    tokens: tuple[str, ...] = ()
    text: str = ""


class DocumentLocation(Struct, frozen=True):
    groups: tuple[TokenGroup, ...] = ()


class MaskRef(Struct, frozen=True, gc=False):
    """An instance mask: a PNG of this object alone (any non-zero pixel)."""

    url: str = ""


class CompositeMaskRef(Struct, frozen=True, gc=False):
    """A composite mask: one PNG per label (or frame); this object's pixels
    are exactly ``color_rgb``."""

    url: str = ""
    color_rgb: tuple[int, int, int] = (0, 0, 0)


class RelationshipEnds(Struct, frozen=True, gc=False):
    source: str
    target: str


# --- classifications -------------------------------------------------------


class TextAnswer(Struct, frozen=True, gc=False):
    content: str = ""


class Answer(Struct, frozen=True):
    """One chosen option of a radio or checklist question; may nest questions."""

    name: Optional[str] = None
    value: Optional[str] = None
    feature_id: Optional[str] = None
    schema_id: Optional[str] = field(name="feature_schema_id", default=None)
    classifications: tuple[Classification, ...] = ()


class Classification(Struct, frozen=True, kw_only=True):
    """A question and its answer(s): radio, checklist or free text, nested to any depth.

    The export spells the answer differently per media type
    (``radio_answer``, ``checklist_answers``, ``text_answer`` and their
    ``conversational_`` twins); use :attr:`type`, :attr:`answers` and
    :attr:`text` instead of those fields.
    """

    name: Optional[str] = None
    value: Optional[str] = None
    feature_id: Optional[str] = None
    schema_id: Optional[str] = field(name="feature_schema_id", default=None)
    radio_answer: Optional[Answer] = None
    checklist_answers: Optional[tuple[Answer, ...]] = None
    text_answer: Optional[TextAnswer] = None
    conversational_radio_answer: Optional[Answer] = None
    conversational_checklist_answers: Optional[tuple[Answer, ...]] = None
    conversational_text_answer: Optional[TextAnswer] = None
    message_id: Optional[str] = None

    @property
    def type(self) -> str:
        """``"radio"``, ``"checklist"``, ``"text"`` or ``"empty"``."""
        if self.radio_answer is not None or self.conversational_radio_answer is not None:
            return "radio"
        if self.checklist_answers is not None or self.conversational_checklist_answers is not None:
            return "checklist"
        if self.text_answer is not None or self.conversational_text_answer is not None:
            return "text"
        return "empty"

    @property
    def answers(self) -> tuple[Answer, ...]:
        """The chosen options (one for radio, any number for checklist)."""
        radio = self.radio_answer or self.conversational_radio_answer
        if radio is not None:
            return (radio,)
        return self.checklist_answers or self.conversational_checklist_answers or ()

    @property
    def text(self) -> Optional[str]:
        answer = self.text_answer or self.conversational_text_answer
        return None if answer is None else answer.content


# --- object annotations (a tagged union on ``annotation_kind``) -------------


class ObjectAnnotation(Struct, frozen=True, kw_only=True, tag_field="annotation_kind"):
    """Fields every object annotation has.  Subclasses add the geometry."""

    kind: ClassVar[str] = "object"
    feature_id: Optional[str] = None
    schema_id: Optional[str] = field(name="feature_schema_id", default=None)
    name: Optional[str] = None
    value: Optional[str] = None
    classifications: tuple[Classification, ...] = ()
    confidence: Optional[float] = None

    @property
    def annotation_kind(self) -> str:
        """The Labelbox ``annotation_kind`` this object was read as."""
        return cast(str, self.__struct_config__.tag)  # every object class has a str tag


class BoxAnnotation(ObjectAnnotation, frozen=True, tag="ImageBoundingBox"):
    kind: ClassVar[str] = "bbox"
    bounding_box: Box


class PolygonAnnotation(ObjectAnnotation, frozen=True, tag="ImagePolygon"):
    """A closed ring; the export usually repeats the first point at the end.

    ``holes`` (interior rings) come only from legacy WKT polygons; writers draw
    the outer ring, and the select stage counts each hole as a warning.
    """

    kind: ClassVar[str] = "polygon"
    polygon: tuple[Point, ...]
    holes: tuple[tuple[Point, ...], ...] = ()


class PolylineAnnotation(ObjectAnnotation, frozen=True, tag="ImagePolyline"):
    kind: ClassVar[str] = "polyline"
    line: tuple[Point, ...]


class PointAnnotation(ObjectAnnotation, frozen=True, tag="ImagePoint"):
    kind: ClassVar[str] = "point"
    point: Point


class MaskAnnotation(ObjectAnnotation, frozen=True, tag="ImageSegmentationMask"):
    """Exactly one of ``mask`` (instance PNG) or ``composite_mask`` is set."""

    kind: ClassVar[str] = "mask"
    mask: Optional[MaskRef] = None
    composite_mask: Optional[CompositeMaskRef] = None


class TextEntityAnnotation(ObjectAnnotation, frozen=True, tag="TextEntity"):
    kind: ClassVar[str] = "text_entity"
    location: TextSpan


class ConversationEntityAnnotation(ObjectAnnotation, frozen=True, tag="ConversationalTextEntity"):
    kind: ClassVar[str] = "conversation_entity"
    conversational_location: ConversationLocation


class DocumentEntityAnnotation(ObjectAnnotation, frozen=True, tag="DocumentEntityToken"):
    kind: ClassVar[str] = "document_entity"
    location: DocumentLocation


class DocumentBoxAnnotation(BoxAnnotation, frozen=True, tag="DocumentBoundingBox"):
    """A box on one page of a document; image writers treat it as a box on
    the page's item."""

    kind: ClassVar[str] = "document_bbox"
    page_number: BoundedInt = 1
    page_dimensions: Optional[PageSize] = None


class GeoAnnotation(ObjectAnnotation, frozen=True, tag="Geospatial"):
    """A geospatial shape as a GeoJSON geometry with ``[lng, lat]`` coordinates."""

    kind: ClassVar[str] = "geo"
    geojson: dict[str, Any]


class CuboidAnnotation(ObjectAnnotation, frozen=True, tag="ImageCuboid"):
    kind: ClassVar[str] = "cuboid"
    cuboid: dict[str, Any]


class RelationshipAnnotation(ObjectAnnotation, frozen=True, tag="ImageUnidirectionalRelationship"):
    kind: ClassVar[str] = "relationship"
    unidirectional_relationship: Optional[RelationshipEnds] = None
    bidirectional_relationship: Optional[RelationshipEnds] = None

    @property
    def ends(self) -> Optional[RelationshipEnds]:
        return self.unidirectional_relationship or self.bidirectional_relationship


UNKNOWN_KIND = "lbconvert.Unknown"


class UnknownAnnotation(ObjectAnnotation, frozen=True, tag=UNKNOWN_KIND):
    """An object of a kind this version does not model: kept whole, never lost."""

    kind: ClassVar[str] = "unknown"
    original_kind: Optional[str] = None
    raw: dict[str, Any] = {}

    @property
    def annotation_kind(self) -> str:
        return self.original_kind or "unknown"


# Other spellings of the same geometry (video, DICOM, predictions, …).
class _VideoBox(BoxAnnotation, frozen=True, tag="VideoBoundingBox"):
    pass


class _DicomBox(BoxAnnotation, frozen=True, tag="DICOMBoundingBox"):
    pass


class _VideoPolygon(PolygonAnnotation, frozen=True, tag="VideoPolygon"):
    pass


class _DicomPolygon(PolygonAnnotation, frozen=True, tag="DICOMPolygon"):
    pass


class _ImageLine(PolylineAnnotation, frozen=True, tag="ImageLine"):
    pass


class _VideoPolyline(PolylineAnnotation, frozen=True, tag="VideoPolyline"):
    pass


class _VideoLine(PolylineAnnotation, frozen=True, tag="VideoLine"):
    pass


class _DicomPolyline(PolylineAnnotation, frozen=True, tag="DICOMPolyline"):
    pass


class _VideoPoint(PointAnnotation, frozen=True, tag="VideoPoint"):
    pass


class _DicomPoint(PointAnnotation, frozen=True, tag="DICOMPoint"):
    pass


class _VideoMask(MaskAnnotation, frozen=True, tag="VideoSegmentationMask"):
    pass


class _DicomMask(MaskAnnotation, frozen=True, tag="DICOMSegmentationMask"):
    pass


class _GeoPoint(GeoAnnotation, frozen=True, tag="GeospatialPoint"):
    pass


class _GeoPolygon(GeoAnnotation, frozen=True, tag="GeospatialPolygon"):
    pass


class _GeoLine(GeoAnnotation, frozen=True, tag="GeospatialLine"):
    pass


class _GeoBox(GeoAnnotation, frozen=True, tag="GeospatialBoundingBox"):
    pass


class _GeoBoundingBox(GeoAnnotation, frozen=True, tag="GeoBoundingBox"):
    pass


class _GeoPoint2(GeoAnnotation, frozen=True, tag="GeoPoint"):
    pass


class _GeoPolygon2(GeoAnnotation, frozen=True, tag="GeoPolygon"):
    pass


class _GeoPolyline(GeoAnnotation, frozen=True, tag="GeoPolyline"):
    pass


class _GeoLine2(GeoAnnotation, frozen=True, tag="GeoLine"):
    pass


class _BidirectionalRelationship(
    RelationshipAnnotation, frozen=True, tag="ImageBidirectionalRelationship"
):
    pass


class _TextRelationship(RelationshipAnnotation, frozen=True, tag="TextUnidirectionalRelationship"):
    pass


class _TextBiRelationship(RelationshipAnnotation, frozen=True, tag="TextBidirectionalRelationship"):
    pass


class _DocumentRelationship(
    RelationshipAnnotation, frozen=True, tag="DocumentUnidirectionalRelationship"
):
    pass


class _DocumentBiRelationship(
    RelationshipAnnotation, frozen=True, tag="DocumentBidirectionalRelationship"
):
    pass


class _ConversationRelationship(
    RelationshipAnnotation, frozen=True, tag="ConversationalUnidirectionalRelationship"
):
    pass


class _ConversationBiRelationship(
    RelationshipAnnotation, frozen=True, tag="ConversationalBidirectionalRelationship"
):
    pass


def _subclasses(cls: type[ObjectAnnotation]) -> list[type[ObjectAnnotation]]:
    found = [cls]
    subclasses = cls.__subclasses__()
    for sub in subclasses:
        found.extend(_subclasses(sub))
    return found


#: Every concrete object class, keyed by the ``annotation_kind`` it decodes.
OBJECT_CLASSES: dict[str, type[ObjectAnnotation]] = {
    cast(str, cls.__struct_config__.tag): cls for cls in _subclasses(ObjectAnnotation)[1:]
}

if TYPE_CHECKING:  # a Union built at run time is not a type to checkers
    AnyObject = ObjectAnnotation
else:  # the tagged union msgspec decodes by annotation_kind
    AnyObject = Union[tuple(OBJECT_CLASSES.values())]


# --- labels ----------------------------------------------------------------


class Frame(Struct, frozen=True):
    """One video / DICOM frame: objects keyed by feature id."""

    objects: dict[str, AnyObject] = {}
    classifications: tuple[Classification, ...] = ()


class DicomGroup(Struct, frozen=True):
    name: str = ""
    classifications: tuple[Classification, ...] = ()
    frames: dict[BoundedInt, Frame] = {}


class LabelAnnotations(Struct, frozen=True):
    """What one label holds.  Images, text and documents use ``objects``;
    video uses ``frames`` (keyed by 1-based frame number), DICOM ``groups``."""

    objects: tuple[AnyObject, ...] = ()
    classifications: tuple[Classification, ...] = ()
    relationships: tuple[AnyObject, ...] = ()
    frames: dict[BoundedInt, Frame] = {}
    groups: dict[str, DicomGroup] = {}
    segments: dict[str, Any] = {}
    key_frame_feature_map: dict[str, Any] = {}


class PerformanceDetails(Struct, frozen=True):
    skipped: bool = False
    seconds_to_create: Optional[float] = None


class Label(Struct, frozen=True):
    id: Optional[str] = None
    label_kind: Optional[str] = None
    annotations: LabelAnnotations = LabelAnnotations()
    performance_details: Optional[PerformanceDetails] = None

    @property
    def skipped(self) -> bool:
        return self.performance_details is not None and self.performance_details.skipped

    def object_count(self) -> int:
        """How many objects :meth:`iter_objects` yields, without yielding them."""
        annotations = self.annotations
        count = len(annotations.objects)
        if annotations.frames:
            count += sum(len(frame.objects) for frame in annotations.frames.values())
        for group in annotations.groups.values():
            count += sum(len(frame.objects) for frame in group.frames.values())
        return count

    def iter_objects(self) -> Any:
        """Every object annotation as exported, with its frame number (or None).

        Video keyframes and DICOM frames yield one object per frame it is in.
        """
        annotations = self.annotations
        for obj in annotations.objects:
            yield None, obj
        for number, frame in annotations.frames.items():
            for obj in frame.objects.values():
                yield number, obj
        for group in annotations.groups.values():
            for number, frame in group.frames.items():
                for obj in frame.objects.values():
                    yield number, obj


class ProjectDetails(Struct, frozen=True):
    workflow_status: Optional[str] = None
    selected_label_id: Optional[str] = None


class Project(Struct, frozen=True):
    name: Optional[str] = None
    project_name: Optional[str] = None  # older exports spell the key this way
    labels: tuple[Label, ...] = ()
    project_details: Optional[ProjectDetails] = None

    @property
    def title(self) -> str:
        return self.name or self.project_name or ""


class Run(Struct, frozen=True):
    """One model run of an experiment: ground truth, predictions and the split."""

    name: Optional[str] = None
    labels: tuple[Label, ...] = ()
    predictions: tuple[Label, ...] = ()
    split: Optional[str] = None


class Experiment(Struct, frozen=True):
    name: Optional[str] = None
    runs: dict[str, Run] = {}


class DataRowInfo(Struct, frozen=True):
    id: str
    global_key: Optional[str] = None
    external_id: Optional[str] = None
    row_data: Optional[str] = None


class MediaAttributes(Struct, frozen=True):
    width: Optional[float] = None
    height: Optional[float] = None
    mime_type: Optional[str] = None
    asset_type: Optional[str] = None
    frame_count: Optional[int] = None
    frame_rate: Optional[float] = None


class DataRow(Struct, kw_only=True):
    """One record of an export: an asset with its labels from every project and
    model run.  Treat it as read-only; only the reader sets ``position``.

    ``position`` is where the record was read: the 1-based line (NDJSON) or
    0-based array index (JSON), for error messages.
    """

    data_row: DataRowInfo
    media_attributes: Optional[MediaAttributes] = None
    projects: dict[str, Project] = {}
    experiments: dict[str, Experiment] = {}
    position: int = 0

    @property
    def id(self) -> str:
        return self.data_row.id

    @property
    def global_key(self) -> Optional[str]:
        return self.data_row.global_key

    @property
    def external_id(self) -> Optional[str]:
        return self.data_row.external_id

    @property
    def size(self) -> tuple[Optional[float], Optional[float]]:
        """``(width, height)`` from the media attributes, None where unknown."""
        media = self.media_attributes
        if media is None:
            return None, None
        return media.width, media.height

    @property
    def media_type(self) -> str:
        """``image``, ``video``, ``dicom``, ``document``, ``text``, ``html``,
        ``audio``, ``conversational``, ``geospatial``, ``llm`` or ``unknown``,
        from the MIME type, else from the kind of its labels."""
        media = self.media_attributes
        mime = media.mime_type if media else None
        if mime:
            found = _media_of_mime(mime)
            if found:
                return found
        for label in self.iter_labels():
            kind = (label.label_kind or "").lower()
            if kind and kind != "default":
                return _LABEL_KINDS.get(kind, kind)
        row_data = self.data_row.row_data or ""
        if row_data.lstrip().startswith("{") and "tileLayerUrl" in row_data:
            return "geospatial"  # tiled imagery: row data is a tile-layer JSON
        return "image" if media and media.width else "unknown"

    def iter_labels(self) -> Any:
        """Every label of every project and model run (not predictions)."""
        for project in self.projects.values():
            yield from project.labels
        for experiment in self.experiments.values():
            for run in experiment.runs.values():
                yield from run.labels


_MIME_PREFIXES = (
    ("text/html", "html"),
    ("application/pdf", "document"),
    ("application/dicom", "dicom"),
    ("application/vnd.labelbox.conversational", "conversational"),
    ("application/vnd.labelbox.llm", "llm"),
    ("image/tiff;geo", "geospatial"),
    ("image/", "image"),
    ("video/", "video"),
    ("audio/", "audio"),
    ("text/", "text"),
)
_MIME_CACHE: dict[str, str] = {}


def _media_of_mime(mime: str) -> str:
    found = _MIME_CACHE.get(mime)
    if found is None:
        lower = mime.lower()
        found = next((media for prefix, media in _MIME_PREFIXES if lower.startswith(prefix)), "")
        if len(_MIME_CACHE) < 1000:
            _MIME_CACHE[mime] = found
    return found


_LABEL_KINDS = {
    "conversational": "conversational",
    "llm": "llm",
    "dicom": "dicom",
    "geospatial": "geospatial",
}


# --- what the select stage hands to writers -----------------------------------


class Item(Struct, frozen=True, kw_only=True):
    """One image (or video frame, or document page) ready to be written.

    ``objects`` are the chosen label's object annotations in export order;
    ``classifications`` are the label-level (and, for frames, frame-level)
    answers.  ``width``/``height`` are the image size in pixels (None only for
    media with no image, such as text).  ``stem`` is a safe, unique file stem;
    ``file_name`` is the image file's name (stem plus its extension).
    """

    stem: str
    file_name: str
    width: Optional[int]
    height: Optional[int]
    split: str = "train"
    objects: tuple[ObjectAnnotation, ...] = ()
    classifications: tuple[Classification, ...] = ()
    relationships: tuple[ObjectAnnotation, ...] = ()
    media_type: str = "image"
    data_row_id: str = ""
    global_key: Optional[str] = None
    external_id: Optional[str] = None
    row_data: Optional[str] = None
    frame: Optional[int] = None
    page: Optional[int] = None
    source_position: int = 0
