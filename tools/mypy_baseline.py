"""Shrink mypy's baseline: the modules of dukaan/ whose errors mypy does not show yet.

`make mypy-baseline` runs mypy with the baseline lifted and removes from pyproject.toml every listed
module that has no error now. It never adds one: a module with errors that is not listed is new or
already clean code, and its errors are for fixing. With no baseline in pyproject.toml yet, it writes
the first one. A note after an entry (`"dukaan.x",  # why`) is kept.
"""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

PYPROJECT = Path("pyproject.toml")
BEGIN = "# mypy baseline: begin"
END = "# mypy baseline: end"
ENTRY = re.compile(r'^\s*"(?P<module>[\w.]+)",(?P<note>.*)$')


def module_of(path: str) -> str:
    module = path.removesuffix(".py").replace("/", ".")
    return module.removesuffix(".__init__")


def modules_with_errors(config: str) -> set[str]:
    """The modules mypy finds errors in, checked with `config` as pyproject.toml."""
    with tempfile.TemporaryDirectory() as folder:
        config_file = Path(folder, "pyproject.toml")
        config_file.write_text(config)
        run = subprocess.run(
            [sys.executable, "-m", "mypy", "--config-file", str(config_file)], capture_output=True, text=True
        )
    if run.returncode not in (0, 1):  # 2: mypy itself failed (a bad config, a crash)
        sys.exit(f"mypy did not run:\n{run.stdout}{run.stderr}")
    return {module_of(line.split(":", 1)[0]) for line in run.stdout.splitlines() if ": error:" in line}


def block(entries: dict[str, str]) -> str:
    head = f"{BEGIN}. Written by `make mypy-baseline` (tools/mypy_baseline.py), which only removes."
    if not entries:  # mypy refuses an empty module list; the markers stay, so nothing is added later
        return f"{head}\n{END}"
    lines = [f'    "{module}",{note}' for module, note in sorted(entries.items())]
    override = ["[[tool.mypy.overrides]]", "module = [", *lines, "]", "ignore_errors = true"]
    return "\n".join([head, *override, END])


def main() -> None:
    text = PYPROJECT.read_text()
    found = re.search(rf"^{re.escape(BEGIN)}.*?^{re.escape(END)}$", text, flags=re.M | re.S)
    lifted = text if found is None else text[: found.start()] + text[found.end() :]
    failing = modules_with_errors(lifted)
    if found is None:
        listed = {module: "" for module in failing}
        print(f"First baseline: {len(listed)} modules with errors.")
        PYPROJECT.write_text(text.rstrip("\n") + "\n\n" + block(listed) + "\n")
        return
    listed = {m["module"]: m["note"] for m in map(ENTRY.match, found.group().splitlines()) if m}
    kept = {module: note for module, note in listed.items() if module in failing}
    PYPROJECT.write_text(text[: found.start()] + block(kept) + text[found.end() :])
    cleaned = ", ".join(sorted(listed.keys() - kept.keys())) or "none"
    print(f"Baseline: {len(listed)} modules before, {len(kept)} now; clean now: {cleaned}.")
    unlisted = sorted(failing - listed.keys())
    if unlisted:
        sys.exit(
            "These modules have mypy errors and are not in the baseline, which takes no new modules: "
            f"fix them (run .venv/bin/mypy to see the errors): {', '.join(unlisted)}"
        )


if __name__ == "__main__":
    main()
