"""Hatch build hook: put the npm browser assets of the maps into the wheel.

The repository keeps only ``package.json`` and ``package-lock.json``; ``npm ci`` installs
Leaflet and its plugins into ``node_modules/``. This hook runs ``npm ci`` when they are
missing (and npm is available) and copies the files named in
``src/kaesong_geo/maps/web_assets.json`` into the wheel as ``kaesong_geo/_web/``, so
``kaesong-geo map --self-contained`` works after a plain ``pip install``.

Without the assets the build FAILS, naming the cause (a wheel that silently cannot make
self-contained maps is worse than no wheel). ``KAESONG_GEO_ALLOW_NO_WEB_ASSETS=1`` builds it
anyway, with a warning; ``kaesong-geo map --self-contained`` then fails with a clear error.
An editable install reads the checkout's ``node_modules`` and needs nothing here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ALLOW_ENV = "KAESONG_GEO_ALLOW_NO_WEB_ASSETS"


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return  # an editable install reads the checkout's node_modules directly
        root = Path(self.root)
        manifest = json.loads((root / "src/kaesong_geo/maps/web_assets.json").read_text("utf-8"))
        modules = root / "node_modules"

        def files() -> list[tuple[Path, str]]:
            out = []
            for a in manifest["assets"]:
                out.append((modules / a["package"] / a["path"], f"{a['package']}/{a['path']}"))
                out.append(
                    (modules / a["package"] / "package.json", f"{a['package']}/package.json")
                )
            for d in manifest["extra_dirs"]:
                folder = modules / d["package"] / d["path"]
                for f in sorted(folder.rglob("*")) if folder.is_dir() else []:
                    if f.is_file():
                        out.append((f, f"{d['package']}/{f.relative_to(modules / d['package'])}"))
            return out

        def missing() -> list[str]:
            return [
                f"{a['package']}/{a['path']}"
                for a in manifest["assets"]
                if not (modules / a["package"] / a["path"]).is_file()
            ]

        npm = shutil.which("npm")
        why = ""
        if missing():
            if not (root / "package-lock.json").is_file():
                why = "package-lock.json is missing"
            elif not npm:
                why = "npm is not installed (install Node.js with npm)"
            else:
                r = subprocess.run(
                    [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                    cwd=root,
                    check=False,
                )
                why = f"'npm ci' failed with exit code {r.returncode}" if r.returncode else ""
        absent = missing()
        if absent:
            message = (
                f"kaesong-geo: the wheel needs the npm browser assets (Leaflet and plugins, "
                f"for 'kaesong-geo map --self-contained'), but {len(absent)} are missing "
                f"(first: node_modules/{absent[0]}): {why or 'npm ci did not install them'}. "
                f"Run 'npm ci' in {root}, or set {ALLOW_ENV}=1 to build a wheel without "
                "self-contained maps."
            )
            if os.environ.get(ALLOW_ENV) == "1":
                self.app.display_warning(message)
                return
            self.app.abort(message)
            raise RuntimeError(message)  # abort exits; this only guards an unusual app
        for source, target in files():
            build_data["force_include"][str(source)] = f"kaesong_geo/_web/{target}"
