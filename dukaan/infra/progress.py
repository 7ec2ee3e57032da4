"""The progress bar of the long-running commands (rebuild-cache, reindex, sanitize-copy)."""

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def command_progress(description: str, *, verbosity: int) -> Progress:
    """A bar with done/total and elapsed time on stderr: stdout keeps only the summary, for scripts."""
    return Progress(
        TextColumn(description),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=verbosity < 1,
    )
