"""Browser assets (Leaflet and plugins): where they come from and how they are inlined.

Every asset is named once, in ``web_assets.json``, by npm package, version and path. A map
meant for the web links them from the CDN URL built from those; a **self-contained** map
inlines the very same files from the npm packages installed beside the project (``npm ci``
in a source checkout) or shipped in the wheel (``kaesong_geo/_web``). Images referenced by
the stylesheets are inlined as ``data:`` URIs, so the page makes no request at all.

Asset files are looked up in, in order: ``$KAESONG_GEO_WEB_ASSETS`` (a ``node_modules``-like
folder), the wheel's ``kaesong_geo/_web``, and the checkout's ``node_modules``.

Examples
--------
>>> url("leaflet_js")
'https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js'
>>> inline_html('<p>no assets</p>')
'<p>no assets</p>'
"""

from __future__ import annotations

import base64
import json
import mimetypes
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from kaesong_geo.errors import AssetsMissingError

__all__ = [
    "AssetsMissingError",
    "asset_root",
    "external_references",
    "inline_html",
    "manifest",
    "url",
]

ENV_VAR = "KAESONG_GEO_WEB_ASSETS"
_HERE = Path(__file__).resolve().parent
_SCRIPT = re.compile(r'<script\s+src="(?P<url>[^"]+)"\s*>\s*</script>')
_LINK = re.compile(r'<link\s+[^>]*?href="(?P<url>[^"]+)"[^>]*>')
_CSS_URL = re.compile(r"""url\(\s*(?P<q>['"]?)(?P<ref>[^'")]+)(?P=q)\s*\)""")
_EXTERNAL = re.compile(
    r"""<(?:script|img|iframe|source|video|audio|embed|link)\b[^>]*?\s(?:src|href)\s*=\s*"""
    r"""["'](?P<url>(?:https?:)?//[^"']+)["']"""
    r"""|url\(\s*["']?(?P<css>(?:https?:)?//[^"')]+)"""
)


@lru_cache(maxsize=1)
def manifest() -> dict[str, Any]:
    """The parsed ``web_assets.json``."""
    data: dict[str, Any] = json.loads((_HERE / "web_assets.json").read_text(encoding="utf-8"))
    return data


def _by_name() -> dict[str, dict[str, str]]:
    return {a["name"]: a for a in manifest()["assets"]}


def url(name: str) -> str:
    """The CDN URL of asset ``name``."""
    a = _by_name()[name]
    template: str = manifest()["cdn"]
    return template.format(package=a["package"], version=a["version"], path=a["path"])


def asset_root() -> Path | None:
    """The folder holding the npm packages, or None when none is installed."""
    candidates = []
    if os.environ.get(ENV_VAR):
        candidates.append(Path(os.environ[ENV_VAR]))
    candidates += [_HERE.parent / "_web", _HERE.parents[2] / "node_modules"]
    for root in candidates:
        if all((root / a["package"] / a["path"]).is_file() for a in manifest()["assets"]):
            return root
    return None


def _installed_version(root: Path, package: str) -> str | None:
    meta = root / package / "package.json"
    if not meta.is_file():
        return None
    version: str = json.loads(meta.read_text(encoding="utf-8")).get("version", "")
    return version


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css(css: str, base: Path) -> str:
    def replace(match: re.Match[str]) -> str:
        ref = match.group("ref")
        if ref.startswith(("data:", "#", "http:", "https:", "//")):
            return match.group(0)
        target = (base / ref).resolve()
        if not target.is_file():
            raise AssetsMissingError(f"stylesheet refers to a missing file: {ref}", path=base)
        return f'url("{_data_uri(target)}")'

    return _CSS_URL.sub(replace, css)


def _local(root: Path, asset: dict[str, str]) -> Path:
    installed = _installed_version(root, asset["package"])
    if installed != asset["version"]:
        raise AssetsMissingError(
            f"npm package {asset['package']} is {installed or 'missing'}, expected "
            f"{asset['version']}; run 'npm ci' in the kaesong-geo source folder",
            path=root,
        )
    return root / asset["package"] / asset["path"]


def inline_html(html: str) -> str:
    """Replace every linked asset of ``web_assets.json`` in ``html`` by its inlined content.

    Raises
    ------
    AssetsMissingError
        The npm packages are not installed, have other versions, or the page links an
        asset that is not in the manifest (it would need the network).
    """
    by_url = {url(name): a for name, a in _by_name().items()}
    root: Path | None = None

    def need_root() -> Path:
        nonlocal root
        if root is None:
            root = asset_root()
            if root is None:
                raise AssetsMissingError(
                    "self-contained output needs Leaflet and its plugins from npm; run "
                    f"'npm ci' in the kaesong-geo source folder, or set {ENV_VAR} to a "
                    "node_modules folder holding them"
                )
        return root

    def script(match: re.Match[str]) -> str:
        asset = by_url.get(match.group("url"))
        if asset is None:
            return match.group(0)
        code = (
            _local(need_root(), asset).read_text(encoding="utf-8").replace("</script", r"<\/script")
        )
        return f"<script>/* {asset['package']}@{asset['version']} */\n{code}\n</script>"

    def link(match: re.Match[str]) -> str:
        asset = by_url.get(match.group("url"))
        if asset is None:
            return match.group(0)
        path = _local(need_root(), asset)
        css = _inline_css(path.read_text(encoding="utf-8"), path.parent).replace(
            "</style", r"<\/style"
        )
        return f"<style>/* {asset['package']}@{asset['version']} */\n{css}\n</style>"

    out = _LINK.sub(link, _SCRIPT.sub(script, html))
    remaining = external_references(out)
    if remaining:
        raise AssetsMissingError(
            f"page still links {len(remaining)} external resource(s), e.g. {remaining[0]}"
        )
    return out


def external_references(html: str) -> list[str]:
    """URLs of scripts, stylesheets and images the page would fetch (tile URL templates excluded).

    Examples
    --------
    >>> external_references('<script src="https://x.org/a.js"></script><a href="#top">')
    ['https://x.org/a.js']
    """
    return [m.group("url") or m.group("css") for m in _EXTERNAL.finditer(html)]
