"""Print the project's runtime dependencies from pyproject.toml, one per line.

The Dockerfile installs exactly these (not the dev extras, not the project itself),
and .ci/extra builds the same environment to prove the image's commands work.
"""

import sys
import tomllib
from pathlib import Path

pyproject = Path(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml")
for requirement in tomllib.loads(pyproject.read_text())["project"]["dependencies"]:
    print(requirement)
