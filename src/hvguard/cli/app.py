"""``hvguard`` entry point. Heavy imports happen inside commands so ``--version`` stays instant."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import click

from hvguard import __version__
from hvguard.cli import boundary
from hvguard.cli.common import emit, gate, load_state, load_state_and_logs
from hvguard.cli.logs_cmd import logs
from hvguard.cli.options import fail_on_option, logs_option, report_options, source_options
from hvguard.cli.paths_cmd import paths
from hvguard.cli.protect_cmd import protect
from hvguard.cli.recover_cmd import recover
from hvguard.cli.verify_cmd import verify
from hvguard.cli.watch_cmd import watch


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, "--version", prog_name="hvguard")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def cli(debug: bool) -> None:
    """Keep Harvester upgrades from destroying VM images.

    Read-only unless a command is given --apply. Exit codes: 0 ok, 1 findings at or above
    --fail-on, 2 usage or input error, 3 cluster unreachable, 70 internal error, 130 interrupted.
    """


def _preflight(source: dict[str, Path | str | None], to: str | None, fmt: str, output: Path | None,
               fail_on: str, command: str = "preflight", scan_logs: bool = False) -> int:
    state, logs = load_state_and_logs(**source, scan_logs=scan_logs)  # type: ignore[arg-type]
    # Imported once a live read is under way: the import then overlaps with waiting for the API server.
    from hvguard.analysis import runner
    from hvguard.reports import model

    analysis = runner.run(state, target=to, log_groups=logs)
    report = model.build(state, analysis, command=command, target=to)
    boundary.hold_until_exit(analysis, report)  # (the state is held already)
    emit(report, fmt, output)
    return gate(report["verdict"], fail_on)


@cli.command()
@source_options
@click.option("--to", "to", metavar="VERSION", help="Target Harvester version, e.g. v1.4.0.")
@report_options
@fail_on_option
@logs_option
def preflight(bundle: Path | None, kubeconfig: Path | None, context: str | None, snapshot: Path | None,
              to: str | None, fmt: str, output: Path | None, fail_on: str, scan_logs: bool) -> int:
    """Check the cluster before an upgrade: images, copies, checksums, dependants."""
    source = {"bundle": bundle, "kubeconfig": kubeconfig, "context": context, "snapshot": snapshot}
    return _preflight(source, to, fmt, output, fail_on, scan_logs=scan_logs)


@cli.command()
@source_options
@click.option("--to", "to", metavar="VERSION", required=True, help="Target Harvester version, e.g. v1.4.0.")
@report_options
def predict(bundle: Path | None, kubeconfig: Path | None, context: str | None, snapshot: Path | None,
            to: str, fmt: str, output: Path | None) -> int:
    """Predict, per backing image, what the upgrade will do to it (and why)."""
    source = {"bundle": bundle, "kubeconfig": kubeconfig, "context": context, "snapshot": snapshot}
    return _preflight(source, to, fmt, output, "never", command="predict")


@cli.command()
@source_options
@report_options
def inventory(bundle: Path | None, kubeconfig: Path | None, context: str | None, snapshot: Path | None,
              fmt: str, output: Path | None) -> int:
    """List every backing image: copies, checksums, users, rebuildability."""
    source = {"bundle": bundle, "kubeconfig": kubeconfig, "context": context, "snapshot": snapshot}
    _preflight(source, None, fmt, output, "never", command="inventory")
    return 0


@cli.command()
@source_options
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Snapshot file to write (atomically).")
def snapshot(bundle: Path | None, kubeconfig: Path | None, context: str | None, snapshot: Path | None,
             output: Path) -> int:
    """Record everything the analysis reads into one verifiable archive (e.g. before an upgrade)."""
    from hvguard.sources.snapshot import write_snapshot

    state = load_state(bundle, kubeconfig, context, snapshot)
    manifest = write_snapshot(state, output)
    total = sum(c.count for c in state.coverage.values())
    click.echo(f"snapshot written to {output}: {total} objects of {len(manifest['members'])} resource types "
               f"from {state.source.type} {state.source.location}", err=True)
    return 0


DEMO_TARGET = "v1.4.0"


@cli.command()
def demo() -> int:
    """Run `preflight --to v1.4.0` on the bundled demo cluster (Harvester v1.3.2)."""
    with resources.as_file(resources.files("hvguard.demo").joinpath("demo-bundle.zip")) as bundle:
        source: dict[str, Path | str | None] = {"bundle": bundle, "kubeconfig": None, "context": None, "snapshot": None}
        _preflight(source, DEMO_TARGET, "table", None, "never", command="preflight", scan_logs=True)
    return 0


cli.add_command(logs)
cli.add_command(paths)
cli.add_command(protect)
cli.add_command(recover)
cli.add_command(verify)
cli.add_command(watch)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    boundary.hold_from_now()  # this process ends with exit_now: what commands hold is freed with it
    code = boundary.run(lambda: cli.main(args, prog_name="hvguard", standalone_mode=False), debug="--debug" in args)
    boundary.exit_now(code)
