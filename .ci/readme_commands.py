"""Print one fenced `bash` block of the README's Set-up section, so CI runs exactly what the README says.

    python3 .ci/readme_commands.py README.md 0     # the main command
    python3 .ci/readme_commands.py README.md 1     # the test command

Standard library only: CI calls it before anything is installed.
"""

import re
import sys
from pathlib import Path


def setup_blocks(readme: str) -> list[str]:
    """The fenced bash blocks between the `## Set-up` heading and the next `## ` heading, in order."""
    section = re.search(r"^## Set-up\b.*?\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    if section is None:
        raise SystemExit("README.md: no '## Set-up' section")
    return [block.strip() for block in re.findall(r"^```bash\n(.*?)^```", section[1], re.M | re.S)]


if __name__ == "__main__":
    path, index = sys.argv[1], int(sys.argv[2])
    blocks = setup_blocks(Path(path).read_text(encoding="utf-8"))
    if index >= len(blocks) or "\n" in blocks[index]:
        raise SystemExit(f"{path}: the Set-up section needs one-line bash block number {index + 1}")
    print(blocks[index])
