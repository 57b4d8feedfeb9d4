"""The select stage: DataRows become Items (one per image, video frame or page).

* :mod:`.labels` -- which project or model run, which labels, the split;
* :mod:`.items` -- the items of those labels, unique stems, sizes (:class:`Selector`);
* :mod:`.interpolate` -- video keyframe interpolation;
* :mod:`.legacy` -- legacy ``export_labels`` records regrouped into data rows.

Names and image lookup, which the writers need too, live beside the model:
:mod:`lbconvert.names` and :mod:`lbconvert.images`.
"""

from ..images import find_image
from ..names import IMAGE_EXTENSIONS, NameSet, safe_stem
from .interpolate import interpolate
from .items import Selector
from .labels import split_of

__all__ = [
    "Selector",
    "NameSet",
    "safe_stem",
    "split_of",
    "interpolate",
    "find_image",
    "IMAGE_EXTENSIONS",
]
