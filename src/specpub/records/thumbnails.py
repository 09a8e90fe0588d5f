"""Small JPEG thumbnails of a record's images, cached in the workspace.

TIFF masters (8 or 16 bits, any photometric, tiled or striped), JPEG, PNG and
JPEG 2000 files become JPEGs of at most ``size`` pixels on their long side,
named by the file's MD5 in ``records/thumbnails/`` so that a preview of the
same files is instant the second time, and a changed file gets a new
thumbnail. A file that cannot be decoded gets no thumbnail (and a reason), it
never stops a preview.

Examples
--------
>>> import tempfile, pathlib
>>> from PIL import Image
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> Image.new("RGB", (600, 900), "white").save(folder / "BR1.tif")
>>> from specpub.records.spec import FileSpec
>>> spec = FileSpec.from_path(folder / "BR1.tif")
>>> thumb = thumbnail(spec, folder / "cache")
>>> Image.open(thumb.path).size, thumb.cached
((171, 256), False)
>>> thumbnail(spec, folder / "cache").cached
True
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Thumbnail", "thumbnail", "thumbnails"]

#: Long side of a thumbnail, in pixels.
DEFAULT_SIZE = 256
_IMAGE_SUFFIXES = frozenset(
    [
        ".tif",
        ".tiff",
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".png",
        ".jp2",
        ".j2k",
        ".jpf",
        ".jpx",
        ".gif",
        ".bmp",
        ".webp",
    ]
)


@dataclass(frozen=True)
class Thumbnail:
    """A thumbnail: its path (``None`` if none could be made), whether it came from the
    cache, and why it is missing.

    Examples
    --------
    >>> Thumbnail(None, False, "not an image").path is None
    True
    """

    path: Path | None
    cached: bool
    error: str = ""


def _to_rgb(image: Any) -> Any:
    from PIL import Image

    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        import numpy as np

        arr = np.asarray(image, dtype=np.float64)
        top = arr.max() or 1.0
        return Image.fromarray((arr * (255.0 / top)).clip(0, 255).astype("uint8"), "L")
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _with_tifffile(path: Path, size: int) -> Any:
    import numpy as np
    import tifffile
    from PIL import Image

    with tifffile.TiffFile(path) as tif:
        page = (
            min(tif.pages, key=lambda p: abs(max(p.shape[:2]) - size * 2))
            if len(tif.pages) > 1
            else tif.pages[0]
        )
        arr = page.asarray()
    if arr.ndim == 3 and arr.shape[0] in (3, 4) and arr.shape[-1] not in (3, 4):
        arr = np.moveaxis(arr, 0, -1)
    step = max(1, max(arr.shape[:2]) // (size * 2))
    arr = arr[::step, ::step]
    if arr.dtype != np.uint8:
        arr = arr.astype(np.float64)
        arr = (arr * (255.0 / (arr.max() or 1.0))).clip(0, 255).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[-1] > 3:
        arr = arr[..., :3]
    return Image.fromarray(arr)


def _render(path: Path, target: Path, size: int) -> None:
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.thumbnail((size, size), reducing_gap=2.0)  # JPEG: decodes at 1/2…1/8 scale
            small = _to_rgb(image).copy()  # loaded before the file closes
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        # Pillow cannot read every TIFF (48-bit RGB, some compressions, > 179 Mpixel).
        if path.suffix.lower() not in (".tif", ".tiff"):
            raise
        try:
            small = _with_tifffile(path, size)
        except Exception:
            raise err from None
        small.thumbnail((size, size))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    small.save(tmp, "JPEG", quality=80, optimize=True)
    tmp.replace(target)


def thumbnail(spec: Any, cache: Path | str, *, size: int = DEFAULT_SIZE) -> Thumbnail:
    """The cached thumbnail of one file (a :class:`~specpub.records.spec.FileSpec`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from specpub.records.spec import FileSpec
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.jpg"; _ = p.write_bytes(b"not a jpeg")
    >>> thumbnail(FileSpec.from_path(p), p.parent).error
    "cannot identify image file 'x.jpg'"
    """
    path = Path(spec.path)
    if path.suffix.lower() not in _IMAGE_SUFFIXES:
        return Thumbnail(None, False, "not an image")
    target = Path(cache) / f"{spec.md5}-{size}.jpg"
    if target.is_file():
        return Thumbnail(target, True)
    try:
        _render(path, target, size)
    except Exception as err:
        return Thumbnail(None, False, str(err).replace(str(path), path.name) or type(err).__name__)
    return Thumbnail(target, False)


def thumbnails(
    specs: list[Any],
    cache: Path | str,
    *,
    size: int = DEFAULT_SIZE,
    workers: int = 2,
    progress: Any = None,
) -> dict[str, Thumbnail]:
    """Thumbnails of many files (by MD5), made in ``workers`` threads; cached ones are free.

    Examples
    --------
    >>> thumbnails([], "/tmp")
    {}
    """
    from specpub.progress import make_progress

    unique = {s.md5: s for s in specs}
    todo = [s for s in unique.values() if not (Path(cache) / f"{s.md5}-{size}.jpg").is_file()]
    out = {
        md5: Thumbnail(Path(cache) / f"{md5}-{size}.jpg", True)
        for md5 in unique
        if md5 not in {s.md5 for s in todo}
    }
    if not todo:
        return out
    bar = make_progress(progress, total=len(todo), description="thumbnails", unit="image")
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for spec, thumb in zip(
                todo, pool.map(lambda s: thumbnail(s, cache, size=size), todo), strict=True
            ):
                out[spec.md5] = thumb
                bar.update()
    finally:
        bar.close()
    return out
