"""Shortcut files that are not .lnk: .url, .scf, .library-ms / .searchConnector-ms /
.search-ms and freedesktop .desktop files.

They are small text files (INI or XML) that Windows Explorer or a Linux desktop acts on
when they are opened, or merely shown:

* an Internet shortcut (`[InternetShortcut]`, `URL=`) whose target is a file share, a
  WebDAV folder (`\\\\host@SSL\\DavWWWRoot\\…`, `file://host@ssl/…`), a Windows search
  (`search-ms:…&crumb=location:\\\\host\\…`), a protocol handler (`ms-msdt:`) or a program:
  one double-click runs something from the attacker's server (CVE-2024-21412 and the
  DarkGate, Qakbot and Phemedrone campaigns). An `IconFile=` on a share makes Explorer
  connect to it, and hand over the user's NTLM hash, when it only shows the file;
* a Shell Command File (`[Shell]`) with its icon on a share: the same hash leak;
* a Windows library or search connector (XML) whose location is a share or a WebDAV
  folder: the window that opens looks local and shows the attacker's files;
* a desktop entry (`[Desktop Entry]`) whose `Exec=` starts a shell or a downloader.

Parsing is bounded (a capped prefix, a capped number of lines, sections, keys and XML
elements); damaged files are results, never errors. XML with a DOCTYPE or an ENTITY is not
given to the parser (no entity expansion); its locations are read with bounded patterns.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from urllib.parse import unquote

from ..model import Evidence
from ..names import DISK_IMAGE_EXTS, EXECUTABLE_EXTS, SHORTCUT_EXTS, real_extension
from ..text import clean_text, defang
from .interface import AttachmentContext, Hit

EMITS = (
    "attachment.url_shortcut",
    "attachment.url_shortcut_web",
    "attachment.remote_icon",
    "attachment.library_ms",
    "attachment.scf",
    "attachment.desktop_entry",
    "attachment.shortcut_file",
)
# Items of these kinds are offered; text-like ones only when their name is a shortcut's
# (a .url padded past sniff's window is still a .url to Windows).
KINDS = frozenset(
    {"internet-shortcut", "scf", "library-ms", "desktop", "text", "xml", "script", "unknown"}
)
_OWN_KINDS = {
    "internet-shortcut": "url",
    "scf": "scf",
    "library-ms": "xml",
    "desktop": "desktop",
}
_BY_NAME = {
    ".url": "url",
    ".scf": "scf",
    ".library-ms": "xml",
    ".searchconnector-ms": "xml",
    ".search-ms": "xml",
    ".desktop": "desktop",
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_MAX_BYTES = 256 * 1024  # real shortcut files are a few hundred bytes
_MAX_LINES = 4096
_MAX_SECTIONS = 64
_MAX_KEYS = 256
_MAX_VALUE = 8192
_MAX_ELEMENTS = 4096
_MAX_LOCATIONS = 16
_SHOWN = 200

# Extensions of files that run, or open something that runs, when a shortcut points at them.
_PAYLOAD_EXTS = (
    EXECUTABLE_EXTS
    | SHORTCUT_EXTS
    | DISK_IMAGE_EXTS
    | _words(
        ".jar .jnlp .chm .reg .appx .appxbundle .msix .msixbundle .appinstaller .application "
        ".settingcontent-ms .diagcab .xll .wsh .sct .inf .py .sh"
    )
)
# Schemes that run code or a Windows component rather than show a page.
_HANDLERS = _words("shell vbscript javascript mhtml mk its hcp jar res ldap ms-its")
_SHARE_SCHEMES = _words("smb cifs nfs afp sftp")
_DAV_SCHEMES = _words("dav davs webdav webdavs")
_WEB_SCHEMES = _words("http https")
_LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1", "[::1]", ".", "?"})
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]{1,31}):")
_DAV_HOST = re.compile(r"@(?:ssl|\d{1,5})(?:@\d{1,5})?$")
_LOCATION = re.compile(r"(?:^|[&?:])(?:crumb=)?location:([^&]{1,2048})")
_SUBQUERY = re.compile(r"(?:^|[&?:])subquery=([^&]{1,2048})")

# Desktop entries: programs that make Exec= a command line rather than an application.
_DESKTOP_PROGRAMS = re.compile(
    r"(?<![\w.-])(sh|bash|dash|zsh|ksh|csh|tcsh|fish|busybox|python[\d.]*|perl|ruby|php|node|"
    r"curl|wget|nc|ncat|netcat|socat|base64|openssl|chmod|osascript|pwsh|powershell|xterm)"
    r"(?![\w.-])",
    re.I,
)
_EXEC_URL = re.compile(r"(?:https?|ftp|smb|sftp|davs?)://[^\s'\"|;&()<>`]+", re.I)

_XML_URL = re.compile(r"<(?:[\w.-]{1,32}:)?url\s*>\s*([^<]{1,4096}?)\s*</", re.I)
_XML_ICON = re.compile(r"<(?:[\w.-]{1,32}:)?iconreference\s*>\s*([^<]{1,4096}?)\s*</", re.I)
_XML_PATH_ATTR = re.compile(r"\b(?:path|url|location)\s*=\s*\"([^\"]{1,4096})\"", re.I)
_XML_ROOT = re.compile(
    r"<(?:[\w.-]{1,32}:)?(librarydescription|searchconnectordescription|persistedquery)\b", re.I
)
_ROOT_NAMES = {
    "librarydescription": "libraryDescription",
    "searchconnectordescription": "searchConnectorDescription",
    "persistedquery": "persistedQuery",
}


# --- text ------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """Text of a shortcut file: BOM, UTF-16 without a BOM, UTF-8, else Windows-1252."""
    head = data[:_MAX_BYTES]
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, "replace")
    sample = head[:512]
    if len(sample) >= 8 and sample[1::2].count(0) >= len(sample) // 2 * 9 // 10:
        return head[: len(head) // 2 * 2].decode("utf-16-le", "replace")
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError:
        return head.decode("cp1252", "replace")


def read_ini(text: str) -> dict[str, dict[str, str]]:
    """Sections (lower case) of keys (lower case) to values; the first of a repeated key
    wins, as GetPrivateProfileString reads it. Bounded; never raises."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in itertools.islice(text.splitlines(), _MAX_LINES):
        line = raw.strip()
        if not line or line[0] in ";#":
            continue
        if line[0] == "[":
            end = line.find("]")
            name = (line[1:end] if end > 0 else line[1:]).strip().lower()[:128]
            if name not in sections and len(sections) >= _MAX_SECTIONS:
                current = None
                continue
            current = sections.setdefault(name, {})
            continue
        key, eq, value = line.partition("=")
        if current is None or not eq or len(current) >= _MAX_KEYS:
            continue
        current.setdefault(key.strip().lower()[:128], value.strip()[:_MAX_VALUE])
    return sections


def shown(text: str, limit: int = _SHOWN) -> str:
    """Attacker text for the report: defanged, one line, clipped."""
    return clean_text(defang(" ".join(text.split())), limit) or "-"


# --- where a location points -----------------------------------------------------------------


def _unc(path: str) -> tuple[str, str]:
    """(host, rest) of a UNC path written with either slash, or ("", "") if it is none."""
    path = path.replace("/", "\\")
    if not path.startswith("\\\\"):
        return "", ""
    parts = path[2:].split("\\")
    if parts[0] in ("?", ".") and len(parts) > 1:
        if parts[1].lower() != "unc" or len(parts) < 3:
            return "", ""  # \\?\C:\… and \\.\device are local
        parts = parts[2:]
    return parts[0], "\\".join(parts[1:])


def _remote(host: str, rest: str) -> tuple[str, str]:
    host_low = host.lower()
    if host_low in _LOCAL_HOSTS:
        return ("local", "")
    if _DAV_HOST.search(host_low) or "davwwwroot" in rest.lower():
        return ("webdav", host)
    return ("share", host)


def classify(value: str, depth: int = 0) -> tuple[str, str]:
    """What a shortcut's target is and the host it reaches.

    Kinds: "share" (SMB: UNC or file://host), "webdav", "search" (search-ms:, the host of
    its remote location or ""), "handler" (a protocol handler or script scheme, the scheme
    as host), "web" (http/https and other schemes), "local" (a path on this computer),
    "" (nothing)."""
    text = value.strip().strip('"').strip()
    if not text:
        return ("", "")
    decoded = unquote(text[:_MAX_VALUE]) if "%" in text else text[:_MAX_VALUE]
    low = decoded.lower()
    scheme_match = _SCHEME.match(low)
    scheme = scheme_match.group(1) if scheme_match else ""
    if scheme in ("search-ms", "search"):
        query = low[len(scheme) + 1 :]
        for pattern in (_LOCATION, _SUBQUERY):
            for match in itertools.islice(pattern.finditer(query), 8):
                if depth > 1:
                    break
                start, end = match.span(1)
                offset = len(scheme) + 1
                kind, host = classify(decoded[offset + start : offset + end], depth + 1)
                if kind in ("share", "webdav", "web"):
                    return ("search", host)
        return ("search", "")
    if scheme.startswith("ms-") or scheme in _HANDLERS:
        return ("handler", scheme + ":")
    if scheme == "file":
        rest = decoded[5:].replace("\\", "/")
        if rest.startswith("//"):
            rest = rest[2:]
            if rest.startswith("//"):  # file:////host/share: a UNC path
                rest = rest.lstrip("/")
            elif rest.startswith("/"):  # file:///C:/…
                return ("local", "")
            host, _, path = rest.partition("/")
            if len(host) == 2 and host[1] in ":|":  # file://C:/…
                return ("local", "")
            return _remote(host, path)
        host, path = _unc(rest)
        return _remote(host, path) if host else ("local", "")
    if scheme in _SHARE_SCHEMES or scheme in _DAV_SCHEMES:
        host = low[len(scheme) + 1 :].lstrip("/").split("/", 1)[0]
        kind, _ = _remote(host, "")
        if kind == "local":
            return ("local", "")
        return ("webdav" if scheme in _DAV_SCHEMES else kind, host)
    if scheme in _WEB_SCHEMES:
        host = decoded[len(scheme) + 1 :].lstrip("/").split("/", 1)[0].split("?", 1)[0]
        return ("web", host.rpartition("@")[2])
    if scheme:
        return ("web", "")  # mailto:, ftp: and unknown schemes open in their own program
    host, rest = _unc(decoded)
    if host:
        return _remote(host, rest)
    return ("local", "")


def payload_extension(value: str) -> str:
    """The extension of what a target path or URL names, if that file runs ("" otherwise)."""
    path = unquote(value.strip().strip('"')) if "%" in value else value.strip().strip('"')
    scheme = _SCHEME.match(path.lower())
    if scheme:
        path = path[scheme.end() :]
    path = path.split("?", 1)[0].split("#", 1)[0].replace("\\", "/").rstrip("/ ")
    if path.startswith("//"):  # a host comes first: "//example.com" names no file
        path = path.lstrip("/")
        if "/" not in path:
            return ""
    ext = real_extension(path.rsplit("/", 1)[-1])
    return ext if ext in _PAYLOAD_EXTS else ""


def _via(kind: str, host: str) -> str:
    return {"share": "SMB", "webdav": "WebDAV", "search": "search-ms"}.get(kind, host or kind)


def _remote_kind(kind: str, host: str) -> bool:
    return kind in ("share", "webdav") or (kind == "search" and bool(host))


# --- findings --------------------------------------------------------------------------------


def _hit(finding_id: str, location: str, excerpt: str, facts: list[tuple[str, str]]) -> Hit:
    return Hit(
        id=finding_id,
        evidence=(Evidence(location=location, excerpt=excerpt, facts=tuple(facts)),),
    )


def _remote_icon(location: str, path: str, icon: str, fmt: str) -> Hit | None:
    kind, host = classify(icon.split(",", 1)[0])
    if kind not in ("share", "webdav"):
        return None
    return _hit(
        "attachment.remote_icon",
        location,
        f"icon {shown(icon)}",
        [
            ("attachment", path),
            ("format", fmt),
            ("icon", shown(icon)),
            ("host", shown(host, 100)),
            ("via", _via(kind, host)),
        ],
    )


def _internet_shortcut(location: str, path: str, sections: dict[str, dict[str, str]]) -> list[Hit]:
    keys = sections.get("internetshortcut", {})
    url = keys.get("url", "") or sections.get("default", {}).get("baseurl", "")
    icon = keys.get("iconfile", "")
    workdir = keys.get("workingdirectory", "")
    hits: list[Hit] = []
    kind, host = classify(url)
    ext = payload_extension(url) if kind in ("share", "webdav", "web", "local") else ""
    facts = [
        ("attachment", path),
        ("format", ".url"),
        ("target", shown(url)),
        ("host", shown(host, 100) if host else "-"),
        ("via", _via(kind, host) if kind not in ("local", "web") else kind),
        ("runs", ext or "-"),
    ]
    if workdir:
        facts.append(("working_dir", shown(workdir)))
    if icon:
        facts.append(("icon", shown(icon)))
    if kind == "web":
        # For machines (the audit's indicators to block): the address as written, unclipped.
        facts.append(("url_exact", url.strip()))
    if kind in ("share", "webdav", "search", "handler") or ext:
        if kind == "web":
            facts[4] = ("via", "https" if url.lower().startswith("https") else "http")
        hits.append(_hit("attachment.url_shortcut", location, f"URL={shown(url)}", facts))
    elif kind == "web":
        scheme = _SCHEME.match(url.strip().lower())
        facts[4] = ("via", scheme.group(1) if scheme else "web")
        hits.append(_hit("attachment.url_shortcut_web", location, f"URL={shown(url)}", facts))
    else:
        facts[2] = ("target", shown(url) if url else "-")
        hits.append(_hit("attachment.shortcut_file", location, f"URL={shown(url)}", facts))
    icon_hit = _remote_icon(location, path, icon, ".url") if icon else None
    if icon_hit:
        hits.append(icon_hit)
    return hits


def _scf(location: str, path: str, sections: dict[str, dict[str, str]]) -> list[Hit]:
    keys = sections.get("shell", {})
    command = keys.get("command", "")
    icon = keys.get("iconfile", "")
    kind, host = classify(icon.split(",", 1)[0]) if icon else ("", "")
    runs = bool(command) and not command.strip().isdigit()
    facts = [
        ("attachment", path),
        ("format", ".scf"),
        ("icon", shown(icon) if icon else "-"),
        ("command", shown(command) if command else "-"),
        ("host", shown(host, 100) if _remote_kind(kind, host) else "-"),
        ("target", shown(icon or command)),
    ]
    excerpt = f"IconFile={shown(icon)} Command={shown(command)}"
    if _remote_kind(kind, host) or runs:
        return [_hit("attachment.scf", location, excerpt, facts)]
    return [_hit("attachment.shortcut_file", location, excerpt, facts)]


def _desktop(location: str, path: str, sections: dict[str, dict[str, str]]) -> list[Hit]:
    keys = sections.get("desktop entry", {})
    command = keys.get("exec", "")
    url = keys.get("url", "")
    entry_type = keys.get("type", "")
    programs = tuple(
        dict.fromkeys(m.group(1).lower() for m in _DESKTOP_PROGRAMS.finditer(command[:4096]))
    )[:6]
    urls = [m.group(0) for m in itertools.islice(_EXEC_URL.finditer(command[:4096]), 4)]
    kind, host = classify(url) if url else ("", "")
    if not host and urls:
        host = classify(urls[0])[1]
    facts = [
        ("attachment", path),
        ("format", ".desktop"),
        ("command", shown(command) if command else "-"),
        ("programs", ", ".join(programs) or "-"),
        ("target", shown(url or (urls[0] if urls else "")) if url or urls else "-"),
        ("host", shown(host, 100) if host else "-"),
        ("entry_type", shown(entry_type, 40) if entry_type else "-"),
    ]
    excerpt = f"Exec={shown(command)}" if command else f"URL={shown(url)}"
    if programs or urls or kind in ("share", "webdav", "handler"):
        return [_hit("attachment.desktop_entry", location, excerpt, facts)]
    if kind == "web" and not command:
        return [_hit("attachment.url_shortcut_web", location, excerpt, facts)]
    if not command and not url:
        return []  # a folder's .directory-like entry: nothing to open
    facts[4] = ("target", shown(command or url))
    return [_hit("attachment.shortcut_file", location, excerpt, facts)]


def _xml_parts(data: bytes, text: str) -> tuple[str, list[str], list[str], str]:
    """(root element, locations, icons, problem) of a library / search file."""
    low = text[:_MAX_BYTES].lower()
    problem = ""
    if "<!doctype" in low or "<!entity" in low:
        problem = "DOCTYPE refused"
    elif len(data) > _MAX_BYTES:
        problem = "truncated"
    else:
        import xml.etree.ElementTree as ET  # only for library and search files

        try:
            root = ET.fromstring(data)
        except (ET.ParseError, ValueError, UnicodeError) as exc:
            problem = f"malformed XML ({type(exc).__name__})"
        else:
            locations: list[str] = []
            icons: list[str] = []
            for element in itertools.islice(root.iter(), _MAX_ELEMENTS):
                name = str(element.tag).rpartition("}")[2].lower()
                if name == "url" and element.text and element.text.strip():
                    locations.append(element.text.strip()[:_MAX_VALUE])
                elif name == "iconreference" and element.text and element.text.strip():
                    icons.append(element.text.strip()[:_MAX_VALUE])
                for key, value in element.attrib.items():
                    if key.rpartition("}")[2].lower() in ("path", "url", "location") and value:
                        locations.append(value[:_MAX_VALUE])
                if len(locations) >= _MAX_LOCATIONS:
                    break
            root_name = str(root.tag).rpartition("}")[2]
            return root_name, locations[:_MAX_LOCATIONS], icons[:4], ""
    import html

    root_match = _XML_ROOT.search(text, 0, 65536)
    root_name = _ROOT_NAMES[root_match.group(1).lower()] if root_match else "-"
    locations = [
        html.unescape(m.group(1))
        for pattern in (_XML_URL, _XML_PATH_ATTR)
        for m in itertools.islice(pattern.finditer(text), _MAX_LOCATIONS)
    ][:_MAX_LOCATIONS]
    icons = [html.unescape(m.group(1)) for m in itertools.islice(_XML_ICON.finditer(text), 4)]
    return root_name, locations, icons, problem


def _library(location: str, path: str, data: bytes, text: str) -> list[Hit]:
    root, locations, icons, problem = _xml_parts(data, text)
    remote: list[tuple[str, str, str]] = []
    for value in locations:
        kind, host = classify(value)
        if kind == "web":  # Explorer opens an http(s) location as a WebDAV folder
            kind = "webdav" if host else kind
        if _remote_kind(kind, host) or kind == "handler":
            remote.append((value, kind, host))
    facts = [
        ("attachment", path),
        ("format", root),
        ("locations", "; ".join(shown(v, 120) for v, _k, _h in remote) or "-"),
        ("host", ", ".join(dict.fromkeys(shown(h, 100) for _v, _k, h in remote if h)) or "-"),
        ("via", ", ".join(dict.fromkeys(_via(k, h) for _v, k, h in remote)) or "-"),
    ]
    if icons:
        facts.append(("icon", shown(icons[0])))
    if problem:
        facts.append(("parse_problem", problem))
    hits: list[Hit] = []
    if remote:
        excerpt = f"<url>{shown(remote[0][0])}</url>"
        hits.append(_hit("attachment.library_ms", location, excerpt, facts))
    else:
        facts[2] = ("locations", "; ".join(shown(v, 120) for v in locations[:4]) or "-")
        facts.append(("target", facts[2][1]))
        excerpt = f"{root}: {facts[2][1]}"
        hits.append(_hit("attachment.shortcut_file", location, excerpt, facts))
    for icon in icons:
        icon_hit = _remote_icon(location, path, icon, root)
        if icon_hit:
            hits.append(icon_hit)
            break
    return hits


def shortcut_files(ctx: AttachmentContext) -> Iterator[Hit]:
    item = ctx.item
    if item.role == "body" or not item.data:
        return
    fmt = _OWN_KINDS.get(item.sniffed.kind) or _BY_NAME.get(real_extension(item.filename), "")
    if not fmt:
        return
    text = decode(item.data)
    if fmt == "xml":
        if item.sniffed.kind != "library-ms" and not _XML_ROOT.search(text, 0, 65536):
            return
        yield from _library(item.location, item.path, item.data, text)
        return
    sections = read_ini(text)
    if fmt == "url" and "internetshortcut" in sections:
        yield from _internet_shortcut(item.location, item.path, sections)
    elif fmt == "scf" and "shell" in sections:
        yield from _scf(item.location, item.path, sections)
    elif fmt == "desktop" and "desktop entry" in sections:
        yield from _desktop(item.location, item.path, sections)
