"""Draw the layers contract of pyproject.toml ([tool.importlinter]) into docs/architecture.md.

`python tools/layers_picture.py` writes the picture between the markers; with `--check` (make lint) it
only says whether the picture there is the contract's, so the two cannot drift apart.
"""

import sys
import tomllib
from pathlib import Path

PYPROJECT = Path("pyproject.toml")
DOC = Path("docs/architecture.md")
BEGIN = "<!-- layers: begin (written by tools/layers_picture.py from pyproject.toml) -->"
END = "<!-- layers: end -->"


def layers() -> list[str]:
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    return next(contract["layers"] for contract in contracts if contract["type"] == "layers")


def picture(rows: list[str]) -> str:
    """A mermaid chart: one box per layer, top to bottom; apps still to come (`(name)`) dashed."""
    lines = ["```mermaid", "flowchart TB"]
    planned = []
    for number, row in enumerate(rows, start=1):
        together = ":" in row  # import-linter's mark for siblings that may import each other
        title = "may import each other" if together else " "
        lines += [f'    subgraph L{number} ["{title}"]', "        direction LR"]
        for name in (part.strip() for part in row.replace(":", "|").split("|")):
            app = name.strip("()")
            lines.append(f'        app_{app}["{app}"]')
            if name.startswith("("):
                planned.append(f"app_{app}")
        lines.append("    end")
    lines.append("    " + " --> ".join(f"L{number}" for number in range(1, len(rows) + 1)))
    if planned:
        lines += ["    classDef planned stroke-dasharray: 5 5", f"    class {','.join(planned)} planned"]
    return "\n".join([*lines, "```"])


def main() -> None:
    text = DOC.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    wanted = text[:start] + "\n" + picture(layers()) + "\n" + text[end:]
    if "--check" not in sys.argv[1:]:
        DOC.write_text(wanted)
    elif wanted != text:
        sys.exit(
            f"{DOC}'s layers picture is not the contract in {PYPROJECT}: run "
            ".venv/bin/python tools/layers_picture.py and commit the result."
        )


if __name__ == "__main__":
    main()
