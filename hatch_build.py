"""Hatch build hook: put the npm browser assets of the maps into the wheel.

The repository keeps only ``package.json`` and ``package-lock.json``; ``npm ci`` installs
Leaflet and its plugins into ``node_modules/``. This hook runs ``npm ci`` when they are
missing (and npm is available) and copies the files named in
``src/kaesong_geo/maps/web_assets.json`` into the wheel as ``kaesong_geo/_web/``, so
``kaesong-geo map --self-contained`` works after a plain ``pip install``. Without npm the
wheel is built without them, with a warning; everything but self-contained output works.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


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

        def complete() -> bool:
            return all((modules / a["package"] / a["path"]).is_file() for a in manifest["assets"])

        if not complete() and shutil.which("npm") and (root / "package-lock.json").is_file():
            subprocess.run(
                ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=root, check=False
            )
        if not complete():
            self.app.display_warning(
                "kaesong-geo: npm assets missing (run 'npm ci'); the wheel cannot inline maps"
            )
            return
        for source, target in files():
            build_data["force_include"][str(source)] = f"kaesong_geo/_web/{target}"
