"""The progress bar of the long-running commands (rebuild-cache, reindex, sanitize-copy,
reencode-photos) and of the benches."""

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def command_progress(
    description: str = "{task.description}",
    *,
    verbosity: int = 1,
    console: Console | None = None,
    transient: bool = False,
) -> Progress:
    """A bar with done/total and elapsed time, on stderr unless told another console: stdout keeps only
    the summary, for scripts. The benches show theirs on their own console."""
    return Progress(
        TextColumn(description),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console or Console(stderr=True),
        transient=transient,
        disable=verbosity < 1,
    )
