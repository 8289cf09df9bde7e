"""The drift check (`blm notes check`): re-run a note's script in the full profile into a temporary folder
and compare what it makes with the committed `notes/docs/generated/<slug>/`.

Text (tables, sentences, `results.json`) must match byte for byte. Figures are compared as images with
matplotlib's own test comparison (RMS over pixels), so a matplotlib release that moves a glyph by a pixel is
not drift while a changed bar is. Provenance records time and commit, and is left out.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

FIGURE_TOLERANCE = 2.0  # RMS difference in 0–255 grey levels (matplotlib.testing.compare.compare_images)


def compared_files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("provenance")}


def differences(made: Path, committed: Path) -> list[str]:
    """One line per file that differs between a fresh run's folder `made` and the committed one."""
    from matplotlib.testing.compare import compare_images
    from matplotlib.testing.exceptions import ImageComparisonFailure

    new, old = compared_files(made), compared_files(committed) if committed.is_dir() else set()
    lines = [f"{name}: made now, not committed" for name in sorted(new - old)]
    lines += [f"{name}: committed, no longer made" for name in sorted(old - new)]
    for name in sorted(new & old):
        if name.endswith(".png"):
            try:
                with tempfile.TemporaryDirectory() as scratch:  # where compare_images leaves its diff image
                    actual = shutil.copy(made / name, scratch)
                    failed = compare_images(str(committed / name), actual, tol=FIGURE_TOLERANCE, in_decorator=True)
            except ImageComparisonFailure as error:  # a different size
                lines.append(f"{name}: the figure differs ({error})")
                continue
            if failed:
                lines.append(f"{name}: the figure differs (RMS {failed['rms']:.2f})")
        elif (made / name).read_bytes() != (committed / name).read_bytes():
            lines.append(f"{name}: differs")
    return lines
