"""docs/orders.md draws the order's states; the picture must be the state machine the code enforces."""

import re
from pathlib import Path

from dukaan.orders.services import NEXT

DOC = Path(__file__).resolve().parents[3] / "docs" / "orders.md"


def test_the_state_diagram_in_docs_is_the_one_the_code_enforces():
    picture = DOC.read_text().split("```mermaid", 1)[1].split("```", 1)[0]
    drawn = set(re.findall(r"^\s*(\w+) --> (\w+)", picture, flags=re.MULTILINE))
    coded = {(source, target) for source, targets in NEXT.items() for target in targets}
    assert drawn == coded, (
        f"docs/orders.md draws moves the code does not make: {sorted(drawn - coded)}; "
        f"the code makes moves the picture lacks: {sorted(coded - drawn)}"
    )
    finals = {state for state, targets in NEXT.items() if not targets}
    assert set(re.findall(r"^\s*(\w+) --> \[\*\]", picture, flags=re.MULTILINE)) == finals
