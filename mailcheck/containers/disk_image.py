"""ISO 9660 disk images (with Joliet, Rock Ridge or UDF names). The only importer of pycdlib.

Malspam used .iso/.img attachments because Windows mounts them with a double click and,
before late 2022, files inside did not inherit the Mark of the Web. Members are the files
of the image, under the most complete names it carries. A raw .img without ISO 9660 or UDF
descriptors (a partition table or a bare FAT volume) is read by `virtual_disk`.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pycdlib

from ..model import AttachmentStatus
from .interface import Opened, OpenRequest
from .session import Session
from .virtual_disk import is_optical, open_virtual_disk


def _facade(image: pycdlib.PyCdlib) -> str:
    """The keyword pycdlib takes paths by, preferring the most complete names."""
    if image.has_udf():
        return "udf_path"
    if image.has_joliet():
        return "joliet_path"
    if image.has_rock_ridge():
        return "rr_path"
    return "iso_path"


def _files(image: pycdlib.PyCdlib, facade: str) -> Iterator[tuple[str, str]]:
    """(path for pycdlib, name for the report) of every file, lazily."""
    for folder, _dirs, files in image.walk(**{facade: "/"}):
        for name in files:
            path = f"{folder.rstrip('/')}/{name}"
            shown = path.lstrip("/")
            if facade == "iso_path":
                shown = shown.split(";", 1)[0]  # ISO 9660 version suffix: "SETUP.EXE;1"
            yield path, shown


def open_image(request: OpenRequest) -> Opened:
    if request.kind == "img" and not is_optical(request.data):
        return open_virtual_disk(request)  # a raw disk: partition table or bare FAT volume
    session = Session(request)
    image = pycdlib.PyCdlib()
    try:
        image.open_fp(io.BytesIO(request.data))
    except Exception as exc:  # UDF-only, VHD(X) and damaged images
        status: AttachmentStatus = "skipped" if request.kind == "img" else "broken"
        reason = f"not a readable ISO 9660 image ({type(exc).__name__}: {exc})"[:200]
        session.unreadable(request.kind, reason, status)
        return session.opened()
    try:
        facade = _facade(image)
        for path, shown in _files(image, facade):
            if not session.admit(shown):
                if session.listing:
                    continue
                break
            with image.open_file_from_iso(**{facade: path}) as handle:
                claimed = int(handle.length())
                drained = session.drain(handle.read, packed=claimed, claimed=claimed)
            session.add(shown, drained, packed=claimed, claimed=claimed)
    except Exception as exc:  # a damaged directory: keep the files read so far
        session.unreadable(request.kind, f"damaged image ({type(exc).__name__}: {exc})"[:200])
    finally:
        image.close()
    return session.opened()
