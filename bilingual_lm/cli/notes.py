"""`blm notes`: regenerate the knowledge notes' results and build the bilingual site."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bilingual_lm.notes.build import build_site, fast_build_copy, find_root, find_scripts, run_script
from bilingual_lm.notes.drift import differences
from bilingual_lm.notes.output import committed_generated


@click.group()
def notes() -> None:
    """The knowledge notes: every number on the site is re-made by a script under notes/scripts/."""


@notes.command()
@click.option("--fast", is_flag=True, help="Small models and few steps: the whole run takes minutes on 2 cores. "
              "Writes to build/notes-fast/ (results and site), never over the committed pages.")
@click.option("--only", "only", multiple=True, metavar="SLUG",
              help="Run only this note's script (e.g. 03 or 03-ngrams-smoothing); repeatable.")
@click.option("--no-site", is_flag=True, help="Run the scripts but do not build the site.")
@click.option("--no-scripts", is_flag=True, help="Build the site from the generated files already there.")
@click.option("--site-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the site (default: site/ beside mkdocs.yml; build/notes-fast/site with --fast).")
def build(fast: bool, only: tuple[str, ...], no_site: bool, no_scripts: bool, site_dir: Path | None) -> None:
    """Run every note's script, then `mkdocs build --strict`."""
    root = find_root()
    site_dir = site_dir.resolve() if site_dir else None  # mkdocs runs from the checkout's root
    scripts = [] if no_scripts else find_scripts(root, only)
    site_root = fast_build_copy(root) if fast else root  # the fast profile builds its own copy of the site
    console = Console(stderr=True)
    failed = []
    with progress_bar(console) as progress:
        task = progress.add_task("notes", total=len(scripts) + (0 if no_site else 1))
        for script in scripts:
            progress.update(task, description=f"{script.stem}{' (fast)' if fast else ''}")
            run = run_script(script, fast=fast, root=root)
            progress.advance(task)
            console.print(f"{'ok' if run.ok else 'FAILED':6} {run.slug}  {run.seconds:.1f} s")
            if not run.ok:
                failed.append(run)
                console.print(run.output[-3000:], markup=False, highlight=False)
        if failed:
            raise click.ClickException(f"{len(failed)} note script(s) failed: {', '.join(r.slug for r in failed)}")
        if not no_site:
            progress.update(task, description="mkdocs build --strict")
            done = build_site(site_root, site_dir)
            progress.advance(task)
            if done.returncode:
                console.print(done.stdout[-3000:] + done.stderr[-3000:], markup=False, highlight=False)
                raise click.ClickException("mkdocs build --strict failed")
            click.echo(str(site_dir or site_root / "site"))


@notes.command()
@click.option("--only", "only", multiple=True, metavar="SLUG",
              help="Check only this note (e.g. 03); repeatable. Default: every note.")
def check(only: tuple[str, ...]) -> None:
    """Re-run notes in the full profile into a temporary folder and fail if any committed result differs.

    Exit 0 when every file matches, 1 with one line per differing file otherwise.
    """
    root = find_root()
    scripts = find_scripts(root, only)
    console = Console(stderr=True)
    drifted = []
    with progress_bar(console) as progress, tempfile.TemporaryDirectory() as scratch:
        task = progress.add_task("notes", total=len(scripts))
        for script in scripts:
            progress.update(task, description=f"{script.stem} (full, into a temporary folder)")
            run = run_script(script, fast=False, root=root, generated=scratch)
            progress.advance(task)
            if not run.ok:
                console.print(run.output[-3000:], markup=False, highlight=False)
                raise click.ClickException(f"note script {run.slug} failed")
            lines = differences(Path(scratch) / run.slug, committed_generated(root) / run.slug)
            drifted += [f"{run.slug}/{line}" for line in lines]
            console.print(f"{'ok' if not lines else 'DRIFT':6} {run.slug}  {run.seconds:.1f} s")
    for line in drifted:
        click.echo(line)
    if drifted:
        raise click.ClickException(f"{len(drifted)} committed result(s) differ from a fresh run: regenerate with "
                                   f"`blm notes build --only SLUG --no-site` and commit")


def progress_bar(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), console=console, transient=True)


@notes.command()
@click.option("--dev-addr", default="127.0.0.1:8000", show_default=True, help="Address to serve on.")
def serve(dev_addr: str) -> None:
    """Serve the site with live reload (`mkdocs serve`), from the generated files already there."""
    root = find_root()
    raise SystemExit(subprocess.call([sys.executable, "-m", "mkdocs", "serve", "-f", str(root / "mkdocs.yml"),
                                      "--dev-addr", dev_addr], cwd=root))
