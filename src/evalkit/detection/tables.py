"""COCO records (parsed JSON) → validated numpy tables, keeping exactly the records COCOeval would use.

Validation lives here because extracting a field and checking it are the same pass: a missing key, a
non-numeric score or a malformed box is found while the column is built, and the error names the file
(``source``), the field and the fix. Checks stay off the happy path's cost: we only scan for the
offending record after a vectorised check has failed.

What pycocotools does silently and we refuse instead: results or annotations on unknown category ids
and annotations on unknown images (it drops them), non-positive or non-finite boxes, NaN scores or
areas, ids that are not int64 integers (larger ones are read as floats and merge), repeated category
ids or names, and polygons or RLEs that do not describe a mask of the image's size.
What we repair with a warning: annotation ids that are 0 or repeated (pycocotools
mis-scores both; ids carry no meaning to the evaluation, so we renumber 1..N). An annotation's own
'ignore' field is not read, because COCOeval overwrites it with 'iscrowd'.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np

from evalkit.detection.params import IOU_TYPES
from evalkit.detection.segmentation import MAX_PIXELS, polygon_problem, rle_problem, short_repr
from evalkit.errors import DataError

_SHOW = 3  # how many offending values an error message lists
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_ID_RULE = ("ids must be JSON integers in the int64 range (-2**63 to 2**63-1; a larger integer is read "
            "as a float and would merge with its neighbours), or strings throughout")


@dataclass(frozen=True)
class GroundTruthTable:
    """Ground truth as arrays; every annotation is on a known image and category."""

    image_ids: tuple[Hashable, ...]  # sorted, as COCOeval's params.imgIds
    category_ids: tuple[Hashable, ...]  # sorted, as COCOeval's params.catIds
    category_names: tuple[str, ...]
    image_index: dict[Hashable, int]
    category_index: dict[Hashable, int]
    img: np.ndarray  # (G,) image index of each kept annotation, file order
    cat: np.ndarray  # (G,) category index
    box: np.ndarray  # (G, 4) x, y, w, h
    area: np.ndarray  # (G,) the annotation's own 'area' field, which decides its area range
    crowd: np.ndarray  # (G,) bool
    segm: list | None  # RLEs for segm evaluation
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class DetectionTable:
    """Detections as arrays, in results-file order."""

    img: np.ndarray  # (D,)
    cat: np.ndarray  # (D,)
    box: np.ndarray  # (D, 4)
    area: np.ndarray  # (D,) box area (or mask area, see detection_table)
    score: np.ndarray  # (D,) float64
    segm: list | None


def _fail(source: str, message: str) -> DataError:
    return DataError(f"{source}: {message}")


def _first_bad(records: Sequence[Any], ok: Callable[[Any], bool]) -> Any:
    return next((i for i, r in enumerate(records) if not ok(r)), None)


def column(records: Sequence[dict], key: str, source: str, where: str) -> list:
    """``records[*][key]``, or a DataError naming the first record that is not an object or lacks ``key``."""
    return _column(records, key, source, where)


def checked_ids(values: list, source: str, where: str, key: str) -> list:
    """``values`` if they are all int64 integers or all strings, else a DataError naming the first bad one."""
    return _ids(values, source, where, key)


def _column(records: Sequence[dict], key: str, source: str, where: str) -> list:
    try:
        return list(map(itemgetter(key), records))
    except (KeyError, TypeError, IndexError):
        i = _first_bad(records, lambda r: isinstance(r, dict) and key in r)
        if not isinstance(records[i], dict):
            raise _fail(source, f"{where}[{i}] is {type(records[i]).__name__}, not an object; "
                                f"fix: make every entry of {where} a JSON object") from None
        raise _fail(source, f"{where}[{i}] has no '{key}'; fix: give every entry of {where} "
                            f"a '{key}'") from None


def _numbers(values: list, source: str, field: str, fix: str, stride: int = 1,
             kinds: str = "iuf") -> np.ndarray:
    """Floats from JSON numbers; ``field`` is a template like ``results[{i}].score``."""
    # np.array keeps the happy path fast; a str/None/list anywhere leaves a non-numeric dtype behind,
    # and ragged or too deeply nested lists make it raise.
    try:
        arr = np.array(values)
    except (ValueError, TypeError, OverflowError, RecursionError):
        arr = None
    if arr is not None and arr.dtype.kind in kinds and arr.ndim == 1:
        return arr.astype(np.float64, copy=False)
    if not values:
        return np.zeros(0, dtype=np.float64)
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values):
        number = isinstance(v, int | float) and ("b" in kinds or not isinstance(v, bool))
        try:
            out[i] = float(v) if number else np.nan
        except OverflowError:  # an integer beyond any float
            number = False
        if not number:
            raise _fail(source, f"{field.format(i=i // stride)} is {short_repr(v)}, not a number; fix: {fix}")
    return out


def _finite(values: np.ndarray, source: str, field: str, fix: str, minimum: float | None = None) -> None:
    """Refuse NaN, infinite (and, with ``minimum``, smaller) values; ``field`` is a ``{i}`` template."""
    bad = ~np.isfinite(values)
    if minimum is not None:
        bad |= values < minimum
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _fail(source, f"{int(bad.sum())} value(s) are NaN, infinite or below the minimum (first: "
                            f"{field.format(i=i)} = {values[i]!r}); fix: {fix}")


def _ids(values: list, source: str, where: str, key: str, *, sortable: bool = False) -> list:
    """``values`` unchanged if each is an int64 integer or a string, else a DataError naming the first.

    ``sortable``: the ids are the truth's own image or category ids, which are sorted (as COCOeval does),
    so they must also be all integers or all strings. Ids that refer to them may mix types: the lookup
    then names the ones whose type differs from the truth's.
    """
    kinds = set(map(type, values))
    if kinds <= {int}:
        if not values or (min(values) >= INT64_MIN and max(values) <= INT64_MAX):
            return values
    elif kinds <= {str}:
        return values
    for i, v in enumerate(values):
        is_int = isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)
        if not is_int and not isinstance(v, str):
            raise _fail(source, f"{where}[{i}].{key} is {short_repr(v)} ({type(v).__name__}); fix: "
                                f"{_ID_RULE}")
        if is_int and not INT64_MIN <= int(v) <= INT64_MAX:
            raise _fail(source, f"{where}[{i}].{key} is {short_repr(v)}, outside the int64 range; fix: "
                                f"renumber; {_ID_RULE}")
    first_str = _first_bad(values, lambda v: not isinstance(v, str))
    first_int = _first_bad(values, lambda v: isinstance(v, str))
    if sortable and first_str is not None and first_int is not None:
        raise _fail(source, f"{where}[*].{key} mixes strings ({where}[{first_str}].{key} = "
                            f"{short_repr(values[first_str])}) and integers ({where}[{first_int}].{key} = "
                            f"{short_repr(values[first_int])}); fix: write every {key} with the same JSON "
                            "type")
    return values


def _boxes(records: Sequence[dict], source: str, where: str) -> np.ndarray:
    boxes = _column(records, "bbox", source, where)
    # One conversion of the list of boxes is the happy path (a third of a million boxes in a few
    # hundredths of a second); anything that is not a (D, 4) numeric array is looked at box by box.
    try:
        arr = np.array(boxes)
    except (ValueError, TypeError, OverflowError, RecursionError):
        arr = None
    if arr is not None and arr.ndim == 2 and arr.shape[1] == 4 and arr.dtype.kind in "iuf":
        return arr.astype(np.float64, copy=False)
    i = _first_bad(boxes, lambda b: isinstance(b, list) and len(b) == 4)
    if i is not None:
        raise _fail(source, f"{where}[{i}].bbox is {short_repr(boxes[i])}; fix: write boxes as "
                            "[x, y, width, height]")
    flat = _numbers(list(chain.from_iterable(boxes)), source, where + "[{i}].bbox",
                    "write boxes as four numbers [x, y, width, height]", stride=4)
    return flat.reshape(-1, 4)


def _index(values: list, index: dict[Hashable, int], source: str, field: str, known: str,
           fix: str) -> np.ndarray:
    out = _int_lookup(values, index)
    if out is None:
        get = index.get
        out = np.fromiter((get(v, -1) for v in values), dtype=np.int64, count=len(values))
    bad = np.flatnonzero(out < 0)
    if len(bad):
        unknown = list(dict.fromkeys(values[i] for i in bad))
        kinds = {type(v).__name__ for v in unknown} - {type(k).__name__ for k in index}
        theirs = "/".join(sorted({type(k).__name__ for k in index}))
        hint = (f" ({'/'.join(sorted(kinds))} here but {theirs} in {known}; fix: write ids with the same "
                "JSON type in both files)") if kinds else f"; fix: {fix}"
        raise _fail(source, f"{len(bad)} of {len(values)} entries have a {field} not in {known} (e.g. "
                            f"{', '.join(short_repr(v) for v in unknown[:_SHOW])}){hint}")
    return out


def _int_lookup(values: list, index: dict[Hashable, int]) -> np.ndarray | None:
    # Vectorised lookup when both sides are plain integers (the usual COCO case); None otherwise.
    keys = np.array(list(index))
    arr = np.array(values)
    if keys.dtype.kind != "i" or arr.dtype.kind != "i" or arr.ndim != 1:
        return None
    if any(type(v) is not int for v in values[:1]) or any(type(k) is not int for k in list(index)[:1]):
        return None
    order = np.argsort(keys)
    pos = np.minimum(np.searchsorted(keys[order], arr), len(keys) - 1)
    found = keys[order][pos] == arr
    return np.where(found, np.array(list(index.values()))[order][pos], -1)


def _check_positive_size(box: np.ndarray, source: str, where: str) -> None:
    with np.errstate(over="ignore", invalid="ignore"):
        # x + width and width * height must stay finite too: IoU is computed from them.
        finite = np.isfinite(box).all(axis=1) & np.isfinite(box[:, :2] + box[:, 2:]).all(axis=1) \
            & np.isfinite(box[:, 2] * box[:, 3])
    bad = np.flatnonzero(~finite)
    if len(bad):
        i = int(bad[0])
        raise _fail(source, f"{len(bad)} boxes have a NaN, infinite or overflowing number (first: "
                            f"{where}[{i}].bbox = {box[i].tolist()}); fix: write bbox as four finite numbers "
                            "[x, y, width, height] in pixels")
    bad = np.flatnonzero(~(box[:, 2] > 0) | ~(box[:, 3] > 0))
    if len(bad):
        i = int(bad[0])
        raise _fail(source, f"{len(bad)} boxes have zero, negative or NaN width/height (first: {where}[{i}]"
                            f".bbox = {box[i].tolist()}); fix: write bbox as [x, y, width, height] with "
                            "width, height > 0")


def _rles(records: Sequence[dict], img: np.ndarray, sizes: list[tuple[int, int]], source: str,
          where: str) -> list:
    # Polygons and uncompressed RLE become compressed RLE the way COCO.annToRLE does it.
    from pycocotools import mask as mask_utils

    out = []
    for i, (r, ii) in enumerate(zip(records, img.tolist(), strict=True)):
        segm = r.get("segmentation")
        h, w = sizes[ii]
        if isinstance(segm, list) and segm:
            problem = polygon_problem(segm)
        elif isinstance(segm, dict):
            problem = rle_problem(segm, h, w)
        else:
            problem = "missing or not a polygon list or an RLE"
        if problem:
            raise _fail(source, f"{where}[{i}].segmentation: {problem}; fix: give polygons [[x1, y1, x2, y2, "
                                f"x3, y3, ...], ...] or an RLE {{'size': [{h}, {w}], 'counts': ...}} of the "
                                "image's height and width whose runs cover every pixel")
        if isinstance(segm, list):
            out.append(mask_utils.merge(mask_utils.frPyObjects(segm, h, w)))
        elif isinstance(segm["counts"], list):
            out.append(mask_utils.frPyObjects(segm, h, w))
        else:
            out.append(segm)
    return out


def _image_sizes(images: list[dict], ids: tuple, source: str) -> list[tuple[int, int]]:
    by_id = {im["id"]: (k, im) for k, im in enumerate(images)}
    sizes = []
    for i in ids:
        k, image = by_id[i]
        h, w = image.get("height"), image.get("width")
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (h, w)) \
                or h * w > MAX_PIXELS:
            raise _fail(source, f"images[{k}] has height {short_repr(h)} and width {short_repr(w)}; fix: "
                                "give every image its height and width as positive integers (segm evaluation "
                                "rasterises masks on them; at most 2**32-1 pixels)")
        sizes.append((h, w))
    return sizes


def _renumber_warning(ann_ids: list, source: str) -> str | None:
    zero = sum(1 for a in ann_ids if a == 0)
    dup = len(ann_ids) - len(set(ann_ids))
    text = sum(1 for a in ann_ids if isinstance(a, str))  # COCOeval stores matched ids in a float array
    if not zero and not dup and not text:
        return None
    why = " and ".join(s for s in (f"{zero} with id 0" if zero else "", f"{dup} repeated ids" if dup else "",
                                   f"{text} string ids" if text else "") if s)
    return (f"{source}: annotations[*].id has {why}, which pycocotools mis-scores or cannot read; ids were "
            "renumbered 1..N in file order for evaluation (fix: give annotations unique integer ids >= 1)")


def check_iou_type(iou_type: str) -> None:
    """Raise DataError unless ``iou_type`` is one we evaluate."""
    if iou_type not in IOU_TYPES:
        raise DataError(f"iou_type={iou_type!r} is not supported; fix: use one of {', '.join(IOU_TYPES)}")


def ground_truth_table(gt: dict, iou_type: str = "bbox", source: str = "ground truth") -> GroundTruthTable:
    """Validate a COCO ground-truth dict and return its evaluated part as arrays.

    Raises DataError (naming ``source``, the field and the fix) for a missing section or key, ids that
    are not int64 integers (or strings throughout), non-numeric, non-finite or non-positive boxes, a NaN
    or negative area, iscrowd other than 0/1, malformed polygons or RLEs, annotations on unknown images
    or categories, or repeated category ids or names.
    """
    check_iou_type(iou_type)
    if not isinstance(gt, dict):
        raise _fail(source, f"top level is {type(gt).__name__}; fix: a COCO annotation file is an object "
                            "with 'images', 'annotations' and 'categories'")
    for key in ("images", "annotations", "categories"):
        if not isinstance(gt.get(key), list):
            raise _fail(source, f"'{key}' is missing or not a list; fix: add a '{key}' list")
    images, anns, cats = gt["images"], gt["annotations"], gt["categories"]
    if not images or not cats:
        raise _fail(source, f"'{'images' if not images else 'categories'}' is empty; fix: list every "
                            "image and category of the evaluation set")

    image_ids = tuple(sorted(set(_ids(_column(images, "id", source, "images"), source, "images", "id",
                                      sortable=True))))
    cat_list = _ids(_column(cats, "id", source, "categories"), source, "categories", "id", sortable=True)
    if len(set(cat_list)) != len(cat_list):
        first: dict[Hashable, int] = {}
        k = next(k for k, c in enumerate(cat_list) if first.setdefault(c, k) != k)
        raise _fail(source, f"categories[{k}].id repeats {short_repr(cat_list[k])} of "
                            f"categories[{first[cat_list[k]]}] (one of them would silently rename the "
                            "other); fix: give each category a unique id")
    cat_names = _column(cats, "name", source, "categories")
    k = _first_bad(cat_names, lambda n: isinstance(n, str) or (type(n) is int))
    if k is not None:
        raise _fail(source, f"categories[{k}].name is {short_repr(cat_names[k])}; fix: write each category's "
                            "name as a string")
    names_by_id = dict(zip(cat_list, cat_names, strict=True))
    category_ids = tuple(sorted(names_by_id))
    names = tuple(str(names_by_id[c]) for c in category_ids)
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise _fail(source, f"categories[*].name repeats {dup[:_SHOW]}; fix: give each category a unique "
                            "name")
    image_index = {v: i for i, v in enumerate(image_ids)}
    category_index = {v: i for i, v in enumerate(category_ids)}

    warnings = []
    if anns:
        warning = _renumber_warning(_ids(_column(anns, "id", source, "annotations"), source, "annotations",
                                         "id"), source)
        if warning:
            warnings.append(warning)
    img = _index(_ids(_column(anns, "image_id", source, "annotations"), source, "annotations", "image_id"),
                 image_index, source, "image_id", "'images'",
                 "add the image to 'images' or drop its annotations")
    cat = _index(_ids(_column(anns, "category_id", source, "annotations"), source, "annotations",
                      "category_id"), category_index, source, "category_id", "'categories'",
                 "add the category to 'categories' or drop its annotations")
    box = _boxes(anns, source, "annotations").reshape(-1, 4)
    area = _numbers(_column(anns, "area", source, "annotations"), source, "annotations[{i}].area",
                    "write each annotation's area as a number")
    # The area decides the area ranges an object counts in; NaN or negative would silently drop it.
    _finite(area, source, "annotations[{i}].area", "write each annotation's area as a finite number >= 0",
            minimum=0.0)
    crowd_raw = _column(anns, "iscrowd", source, "annotations")
    crowd_value = _numbers(crowd_raw, source, "annotations[{i}].iscrowd", "use iscrowd 0 or 1", kinds="iufb")
    # pycocotools reads iscrowd both as a truth value and as uint8: only 0 and 1 mean the same to both.
    not_flag = np.flatnonzero((crowd_value != 0) & (crowd_value != 1))
    if len(not_flag):
        i = int(not_flag[0])
        raise _fail(source, f"annotations[{i}].iscrowd is {short_repr(crowd_raw[i])}; fix: use iscrowd 0 "
                            "or 1")
    crowd = crowd_value != 0
    if iou_type == "bbox":
        _check_positive_size(box, source, "annotations")
        segm = None
    else:
        segm = _rles(anns, img, _image_sizes(images, image_ids, source), source, "annotations")
    return GroundTruthTable(
        image_ids=image_ids, category_ids=category_ids, category_names=names, image_index=image_index,
        category_index=category_index, img=img, cat=cat, box=box, area=area, crowd=crowd,
        segm=segm, warnings=tuple(warnings),
    )


def detection_table(dets: list, gt: GroundTruthTable, gt_images: list[dict] | None = None,
                    iou_type: str = "bbox", source: str = "results",
                    where: str = "results") -> DetectionTable:
    """Validate a COCO results list against ``gt`` and return it as arrays.

    Raises DataError for an empty or non-list file, missing keys, ids that are not int64 integers (or
    strings throughout), non-numeric or NaN scores, boxes with zero or negative size or a non-finite
    number, malformed polygons or RLEs, and results on image or category ids that the ground truth does
    not have. ``where`` names the records in messages (``annotations`` for an annotator's file).
    ``gt_images`` (the ground truth's 'images' list) is needed only for segm, to rasterise polygons.

    As in ``COCO.loadRes``, a detection's area is its box area whenever the first result has a box,
    and its mask area otherwise; the area decides whether an unmatched detection counts in an area range.
    """
    check_iou_type(iou_type)
    if not isinstance(dets, list):
        raise _fail(source, f"top level is {type(dets).__name__}; fix: a COCO results file is a list of "
                            "objects with image_id, category_id, score and bbox/segmentation")
    if not dets:
        raise _fail(source, "no detections; fix: write at least one result, or score the model as having "
                            "no output without this file")
    img = _index(_ids(_column(dets, "image_id", source, where), source, where, "image_id"), gt.image_index,
                 source, "image_id", "the ground truth's images",
                 "evaluate against the annotation file these results are for")
    cat = _index(_ids(_column(dets, "category_id", source, where), source, where, "category_id"),
                 gt.category_index, source, "category_id", "the ground truth's categories",
                 "map predicted labels to the annotation file's category ids")
    score = _numbers(_column(dets, "score", source, where), source, where + "[{i}].score",
                     "write each score as a finite number")
    nan = np.flatnonzero(~np.isfinite(score))
    if len(nan):
        raise _fail(source, f"{len(nan)} scores are NaN or infinite (first: {where}[{nan[0]}]); fix: write "
                            "each score as a finite number")
    first_box = dets[0].get("bbox") if isinstance(dets[0], dict) else None
    if iou_type == "bbox" or first_box:
        box = _boxes(dets, source, where)
        _check_positive_size(box, source, where)
        area = box[:, 2] * box[:, 3]
    else:
        box = np.zeros((len(dets), 4))
        area = None
    segm = None
    if iou_type == "segm":
        if gt_images is None:
            raise ValueError("gt_images is required for segm")
        records = dets
        if first_box and not all("segmentation" in d for d in dets):
            # loadRes gives a box-only result the box's polygon as its mask.
            records = [d if "segmentation" in d else {"segmentation": [_box_polygon(b)]}
                       for d, b in zip(dets, box.tolist(), strict=True)]
        segm = _rles(records, img, _image_sizes(gt_images, gt.image_ids, source), source, where)
        if area is None:
            from pycocotools import mask as mask_utils

            # One object per call, as loadRes does (the list form overflows on numpy 2).
            area = np.array([float(mask_utils.area(r)) for r in segm])
    return DetectionTable(img=img, cat=cat, box=box, area=area, score=score, segm=segm)


def _box_polygon(b: list[float]) -> list[float]:
    x1, x2, y1, y2 = b[0], b[0] + b[2], b[1], b[1] + b[3]
    return [x1, y1, x1, y2, x2, y2, x2, y1]


def renumber_annotation_ids(gt: dict) -> dict:
    """A copy of ``gt`` whose annotations have ids 1..N in file order (the input is left untouched).

    Used when ids are 0 or repeated: pycocotools treats a match with id 0 as "no match" and keys
    annotations by id, so either would silently change its scores. Ids mean nothing else to COCOeval.
    """
    anns = [{**a, "id": i} for i, a in enumerate(gt["annotations"], start=1)]
    return {**gt, "annotations": anns}
