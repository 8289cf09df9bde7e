"""`blm cache`: what the cache directory holds (sizes, last use), and removing entries by name or age."""

from __future__ import annotations

import json
import time

import click
from rich.console import Console
from rich.filesize import decimal
from rich.table import Table

from bilingual_lm.cache_entries import Entry, list_entries, remove_entries
from bilingual_lm.errors import InputError
from bilingual_lm.paths import cache_root

FORMAT = click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
                      show_default=True)


@click.group(invoke_without_command=True)
@FORMAT
@click.pass_context
def cache(ctx: click.Context, output_format: str) -> None:
    """List the cache ($BLM_CACHE_DIR, else the per-user cache): model conversions, request caches, n-grams."""
    if ctx.invoked_subcommand is None:
        _show(list_entries(), output_format, removed=False)


@cache.command("list")
@FORMAT
def list_command(output_format: str) -> None:
    """List every entry with its size and last use."""
    _show(list_entries(), output_format, removed=False)


@cache.command()
@click.argument("names", nargs=-1)
@click.option("--older-than", default=None, metavar="AGE", help="Also remove entries unused for AGE (30d, 12h, 2w).")
@click.option("--dry-run", is_flag=True, help="Say what would be removed, remove nothing.")
@FORMAT
def remove(names: tuple[str, ...], older_than: str | None, dry_run: bool, output_format: str) -> None:
    """Remove entries by NAME (as `blm cache` lists them) and/or by age."""
    if not names and older_than is None:
        raise InputError("name the entries to remove (see `blm cache`) or give --older-than AGE")
    _show(remove_entries(list(names), older_than, dry_run=dry_run), output_format, removed=True, dry_run=dry_run)


def _show(entries: list[Entry], output_format: str, *, removed: bool, dry_run: bool = False) -> None:
    total = sum(entry.bytes for entry in entries)
    if output_format == "json":
        record = {"cache_dir": str(cache_root()), "entries": [e.to_dict() for e in entries], "total_bytes": total}
        if removed:
            record["dry_run"] = dry_run
        click.echo(json.dumps(record, ensure_ascii=False, indent=1))
        return
    verb = "would remove" if dry_run else "removed" if removed else "holds"
    table = Table(title=f"{cache_root()} {verb} {len(entries)} entries, {decimal(total)}", title_justify="left")
    for column in ("name", "kind", "size", "last use (UTC)", "detail"):
        table.add_column(column, justify="right" if column == "size" else "left", no_wrap=column != "detail")
    for entry in entries:
        used = time.strftime("%Y-%m-%d %H:%M", time.gmtime(entry.last_used))
        table.add_row(entry.name, entry.kind, decimal(entry.bytes), used, entry.detail)
    Console(markup=False).print(table)
