"""Where search plugs into the content domain: the index is rebuilt at the end of every content sync, in the
sync's transaction."""

from __future__ import annotations

from ..content.signals import content_synced


@content_synced.connect
def _rebuild_after_sync(_result, changed: bool = True, **_kwargs) -> None:
    from .service import index_is_empty, rebuild_index

    if changed or index_is_empty():
        rebuild_index(commit=False)
