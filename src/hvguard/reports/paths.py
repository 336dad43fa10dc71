"""The ``hvguard paths`` document: what hvguard's knowledge says about one planned upgrade, offline.

``build`` asks the catalog (support matrix, route, bundled components, Longhorn migrations, known
issues) and returns one plain, JSON-ready document, ``hvguard.paths/v1`` (``schemas/paths-v1.json``).
``render`` writes it as a table, JSON or Markdown. As with the report renderers, each format reads
only the document, so no two formats can disagree, and ``rich`` is imported inside the table
renderer so that ``hvguard --help`` does not pay for it. The wording helpers in the middle exist so
that the table and the Markdown say the same thing in the same words.

The verdict has three values because the exit status gates CI:

* ``supported``: the docs' support matrix has a row for the direct upgrade;
* ``unsupported``: a downgrade, or both versions are known (a catalogued release, or inside a matrix
  row, which covers whole lines such as v1.8.x) and no row matches; take the route, if there is one;
* ``unknown``: a version neither catalogued nor inside any row, so a missing row proves nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

from hvguard import __version__
from hvguard.knowledge.catalog import Catalog, ComponentChange, IssueMatch, PlannedMigration, load_catalog
from hvguard.knowledge.model import SEVERITIES, Hop, Release
from hvguard.knowledge.versions import Version
from hvguard.reports import json_out
from hvguard.reports.markdown import code, escape, md_table
from hvguard.reports.render import truncate
from hvguard.reports.table import PIPE_WIDTH, print_section

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

SCHEMA = "hvguard.paths/v1"
FORMATS = ("table", "json", "markdown")
PathsDoc = dict[str, Any]

# A strict write against a stale CRD is rejected, and longhorn-manager crash-loops until the new CRD is
# applied (``write_validation.strict_effect``): the upgrade stops, nothing is lost.
_STRICT_WRITE_SEVERITY = "stuck-upgrade"
# Migration outcomes that destroy data: the harvester#7958 class, shown before everything else.
_DESTRUCTIVE = frozenset({"data-loss", "data-corruption"})


def build(source: Version, target: Version, catalog: Catalog | None = None) -> PathsDoc:
    """The paths document for upgrading Harvester ``source`` to ``target``.

    Raises ``IncomparableVersionError`` for a dev build without a release number (``master-head``,
    a commit id): it cannot be placed on any path, and a gate must not guess.
    """
    catalog = catalog or load_catalog()
    verdict = _verdict(catalog, source, target)
    chain = catalog.route(source, target) or ()
    is_upgrade = target > source
    matches = sorted(catalog.issues_on_path(source, target) if is_upgrade else (),
                     key=lambda match: SEVERITIES.index(match.issue.severity))
    doc: PathsDoc = {
        "schema": SCHEMA,
        "tool": {"name": "hvguard", "version": __version__, "command": "paths"},
        "from": _release(source, catalog.release(source)),
        "to": _release(target, catalog.release(target)),
        "verdict": verdict,
        "supported": verdict == "supported",
        "reason": _reason(catalog, verdict, source, target, chain),
        "route": [str(version) for version in chain],
        "hops": [_hop(catalog, hop, matches) for hop in itertools.pairwise(chain)],
        "direct": _hop(catalog, (source, target), matches) if is_upgrade and verdict != "supported" else None,
        "components": _changes(catalog, source, target),
        "issues": [_issue(match) for match in matches],
    }
    doc["notes"] = _notes(doc, source, target)
    return doc


def render(doc: PathsDoc, fmt: str, stream: TextIO) -> None:
    """Write ``doc`` to ``stream`` in ``fmt`` (one of :data:`FORMATS`)."""
    renderers = {"table": _render_table, "json": json_out.render, "markdown": _render_markdown}
    if fmt not in renderers:
        raise ValueError(f"unknown paths format {fmt!r}; expected one of {', '.join(FORMATS)}")
    renderers[fmt](doc, stream)


# --- building -------------------------------------------------------------------------------------


def _verdict(catalog: Catalog, source: Version, target: Version) -> str:
    if catalog.is_supported(source, target):
        return "supported"
    if target > source and _uncovered(catalog, source, target):
        return "unknown"
    return "unsupported"


def _uncovered(catalog: Catalog, source: Version, target: Version) -> list[str]:
    """Versions hvguard can say nothing about: not catalogued and outside every matrix row on their side.

    The matrix gives whole lines (``>=1.8.0,<1.9.0``), so v1.8.3 is covered before hvguard lists it.
    """
    sides = ((source, [path.from_ for path in catalog.paths]), (target, [path.to for path in catalog.paths]))
    return [str(version) for version, ranges in sides
            if catalog.release(version) is None and not any(versions.contains(version) for versions in ranges)]


def _reason(catalog: Catalog, verdict: str, source: Version, target: Version, chain: tuple[Version, ...]) -> str:
    """The verdict's one-line explanation, the same in every format."""
    if verdict == "supported":
        return "in Harvester's support matrix"
    if target < source:
        return "a downgrade; Harvester does not support downgrades"
    if target == source:
        return "the same version; there is nothing to upgrade"
    if verdict == "unknown":
        uncovered = " or ".join(_uncovered(catalog, source, target))
        return f"neither hvguard's release data nor the support matrix covers {uncovered}"
    if chain:
        return "take route " + " → ".join(map(str, chain))
    return "no route of supported upgrades through the releases hvguard knows"


def _release(version: Version, release: Release | None) -> dict[str, Any]:
    if release is None:
        return {"version": str(version), "known": False, "status": None, "tagDate": None,
                "minUpgradable": None, "components": None, "unverified": []}
    return {
        "version": str(version),
        "known": True,
        "status": release.status,
        "tagDate": release.tag_date,
        "minUpgradable": str(release.min_upgradable),
        "components": dict(release.components.items()),
        "unverified": sorted(release.unverified),
    }


def _hop(catalog: Catalog, hop: Hop, matches: Iterable[IssueMatch]) -> dict[str, Any]:
    """One upgrade step: its docs row, Harvester's own version check, what it bundles and what it hits."""
    source, target = hop
    row = next((path for path in catalog.paths if path.matches(hop)), None)
    before, after = catalog.release(source), catalog.release(target)
    return {
        "from": str(source),
        "to": str(target),
        "supported": row is not None,
        "doc": row.doc if row else None,
        "docStatus": row.status if row else None,
        "minUpgradable": None if after is None else {
            "version": str(after.min_upgradable), "met": source >= after.min_upgradable,
        },
        **_bundled(catalog, before, after),
        "issues": [match.issue.id for match in matches if hop in match.hops],
    }


def _bundled(catalog: Catalog, before: Release | None, after: Release | None) -> dict[str, Any]:
    """Longhorn versions, component changes and migrations of a hop; None where a release is unknown."""
    if before is None or after is None:
        return {"longhorn": None, "components": None, "migrations": None}
    return {
        "longhorn": {"from": before.components.longhorn, "to": after.components.longhorn},
        "components": _changes(catalog, before.version, after.version),
        "migrations": [_migration(catalog, planned)
                       for planned in catalog.longhorn_migrations(before.longhorn, after.longhorn)],
    }


def _changes(catalog: Catalog, source: Version, target: Version) -> list[dict[str, Any]] | None:
    if catalog.release(source) is None or catalog.release(target) is None:
        return None
    return [_change(change) for change in catalog.component_changes(source, target)]


def _change(change: ComponentChange) -> dict[str, Any]:
    return {"component": change.component, "from": change.before, "to": change.after,
            "unverified": change.unverified}


def _migration(catalog: Catalog, planned: PlannedMigration) -> dict[str, Any]:
    rule = planned.rule
    write = ("strict" if planned.strict else "lenient") if rule.type == "field-write" else None
    if write == "strict":
        risk = {"severity": _STRICT_WRITE_SEVERITY, "effect": catalog.write_validation.strict_effect}
    else:
        risk = {"severity": rule.risk.severity, "effect": rule.risk.effect}
    return {
        "id": rule.id,
        "upgradePath": rule.upgrade_path,
        "type": rule.type,
        "crd": rule.crd,
        "version": rule.version,
        "targetFields": list(rule.target_fields),
        "requiredStoredVersions": list(rule.required_stored_versions),
        "write": write,
        "risk": risk,
        "confidence": rule.evidence.confidence,
        "sources": list(rule.evidence.sources),
    }


def _issue(match: IssueMatch) -> dict[str, Any]:
    issue = match.issue
    return {
        "id": issue.id,
        "findingId": issue.finding_id,
        "title": issue.title,
        "severity": issue.severity,
        "category": issue.category,
        "hops": [{"from": str(source), "to": str(target)} for source, target in match.hops],
        "detection": "cluster-state" if issue.detector else "path-only",
        "detector": issue.detector,
        "detect": issue.detect,
        "mitigation": issue.mitigation,
        "fixedIn": str(issue.fixed_in) if issue.fixed_in else None,
        "urls": list(issue.urls),
        "confidence": issue.evidence.confidence,
    }


def _notes(doc: PathsDoc, source: Version, target: Version) -> list[str]:
    """What qualifies the answer: missing data, pre-release builds, forced jumps, preview docs."""
    notes = [f"hvguard has no release data for Harvester {side['version']}: its bundled components, Longhorn "
             "migrations and minimum upgradable version are unknown and left out."
             for side in (doc["from"], doc["to"]) if not side["known"]]
    notes += [f"{version} is a pre-release build; hvguard applies what it knows about v{version.base} to it."
              for version in dict.fromkeys((source, target)) if version.pre]  # once when both are the same
    if doc["direct"] and doc["direct"]["minUpgradable"]:
        notes.append(_forced_note(doc["direct"]))
    notes += [f"{hop['from']} → {hop['to']} is only in Harvester's development docs (preview): the target "
              "line has no GA release yet." for hop in doc["hops"] if hop["docStatus"] == "preview"]
    return notes


def _forced_note(direct: dict[str, Any]) -> str:
    """Whether Harvester's own check (minUpgradableVersion) would stop the unsupported direct upgrade."""
    jump, minimum = f"{direct['from']} → {direct['to']}", direct["minUpgradable"]["version"]
    if direct["minUpgradable"]["met"]:
        return (f"Harvester {direct['to']} would start an upgrade from {direct['from']} (its minimum is {minimum}): "
                f"nothing stops {jump}, although the docs do not support it.")
    return (f"Harvester {direct['to']} refuses upgrades from versions older than {minimum} unless forced with the "
            f"harvesterhci.io/skip-version-check annotation; a forced {jump} upgrade meets the issues listed for it.")


# --- wording shared by the table and the Markdown ----------------------------------------------------


def verdict_line(doc: PathsDoc) -> str:
    """The first thing every human format says: ``UNSUPPORTED  v1.3.1 → v1.4.0 — take route …``."""
    return f"{doc['verdict'].upper()}  {path_line(doc)}"


def path_line(doc: PathsDoc) -> str:
    return f"{doc['from']['version']} → {doc['to']['version']} — {doc['reason']}"


def release_line(release: dict[str, Any]) -> str:
    if not release["known"]:
        return f"{release['version']} (not in hvguard's release data)"
    components = release["components"]
    return (f"{release['version']} ({release['status']}, tagged {release['tagDate']}, "
            f"accepts upgrades from {release['minUpgradable']} or later, Longhorn {components['longhorn']})")


def hop_label(hop: dict[str, Any], doc: PathsDoc) -> str:
    """``from → to``, marked when it is the direct jump (not in the matrix) rather than a step of the route."""
    direct = doc["direct"]
    is_direct = direct is not None and (hop["from"], hop["to"]) == (direct["from"], direct["to"])
    return f"{hop['from']} → {hop['to']}" + (" (direct)" if is_direct else "")


def guide_text(hop: dict[str, Any], link: Callable[[str], str] = str) -> str:
    """A route hop's upgrade guide, marked when only the development docs have it."""
    return link(hop["doc"]) + (" (preview)" if hop["docStatus"] == "preview" else "")


def danger_lines(doc: PathsDoc) -> list[str]:
    """One sentence per route migration that destroys data when the live CRD is stale (harvester#7958)."""
    return [
        f"{hop['from']} → {hop['to']}: longhorn-manager {hop['longhorn']['to']} runs {migration['id']} with "
        f"{migration['write']} writes; if the live {migration['crd']} CRD does not declare "
        f"{migration_needs(migration)} by then, the result is {migration['risk']['severity']}. Apply the Longhorn "
        f"{hop['longhorn']['to']} CRD first; hvguard preflight --to {hop['to']} checks the live one."
        for hop, migration in _route_migrations(doc) if migration["risk"]["severity"] in _DESTRUCTIVE
    ]


def _route_migrations(doc: PathsDoc) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for hop in doc["hops"]:
        for migration in hop["migrations"] or ():
            yield hop, migration


def migration_needs(migration: dict[str, Any]) -> str:
    """What the live CRD must have for the migration to land."""
    if migration["type"] == "stored-versions":
        return "status.storedVersions = " + ", ".join(migration["requiredStoredVersions"])
    return ", ".join(migration["targetFields"])


def longhorn_line(hop: dict[str, Any]) -> str:
    if hop["longhorn"] is None:
        return "Longhorn versions unknown (no release data)"
    longhorn = hop["longhorn"]
    if longhorn["from"] == longhorn["to"]:
        return f"Longhorn {longhorn['from']} unchanged"
    return f"Longhorn {longhorn['from']} → {longhorn['to']}"


def no_migrations_line(hop: dict[str, Any]) -> str:
    """Why a hop lists no migration; hvguard only knows the rules in its data, so it never says "none"."""
    if hop["migrations"] is None:
        return "migrations unknown (no release data for this hop)"
    return "no migration rule hvguard knows applies"


def version_cell(value: str | None, unverified: bool) -> str:
    return (value or "unknown") + (" (unverified)" if unverified and value else "")


def change_rows(doc: PathsDoc) -> list[tuple[str, str, str, str]]:
    """(hop, component, from, to) for every route hop, then end to end unless that is the one hop."""
    sections = [(hop_label(hop, doc), hop["components"]) for hop in doc["hops"]]
    if len(sections) != 1:
        sections.append(("end to end", doc["components"]))
    rows: list[tuple[str, str, str, str]] = []
    for label, changes in sections:
        if changes is None:
            rows.append((label, "unknown", "no release data", ""))
            continue
        rows += [(label, change["component"], version_cell(change["from"], change["unverified"]),
                  version_cell(change["to"], change["unverified"])) for change in changes] or [
            (label, "no change", "", "")]
    return rows


def issue_groups(doc: PathsDoc) -> list[tuple[str, list[dict[str, Any]]]]:
    """Issues by severity, worst first (the document is already ordered that way)."""
    return [(severity, list(items)) for severity, items in itertools.groupby(doc["issues"], lambda i: i["severity"])]


def issue_hops(issue: dict[str, Any], doc: PathsDoc) -> str:
    return ", ".join(hop_label(hop, doc) for hop in issue["hops"])


def detection_text(issue: dict[str, Any]) -> str:
    if issue["detector"]:
        return f"hvguard preflight detects exposure (detector {issue['detector']})"
    return "path-only: hvguard cannot see exposure in cluster state; check by hand"


def facts_line(issue: dict[str, Any]) -> str:
    fixed = f"fixed in {issue['fixedIn']}" if issue["fixedIn"] else "not fixed"
    return f"{issue['category']} · confidence {issue['confidence']} · {fixed}"


# --- table -----------------------------------------------------------------------------------------------

MITIGATION_WIDTH = 240
_VERDICT_STYLE = {"supported": "bold green", "unsupported": "bold red", "unknown": "bold magenta"}
# Loss and outages in red, interruptions in yellow, the rest in cyan.
_SEVERITY_STYLE = {
    **dict.fromkeys(("data-loss", "data-corruption", "cluster-outage", "network-outage"), "bold red"),
    **dict.fromkeys(("vm-downtime", "stuck-upgrade", "upgrade-blocked"), "bold yellow"),
    **dict.fromkeys(("degraded", "performance", "cosmetic"), "bold cyan"),
}


def _render_table(doc: PathsDoc, stream: TextIO) -> None:
    """Verdict first, then the data at risk, then route, components, migrations and issues."""
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, width=None if stream.isatty() else PIPE_WIDTH,
                      markup=False, emoji=False, highlight=False)
    console.print(Text(verdict_line(doc), style=_VERDICT_STYLE[doc["verdict"]]))
    console.print(_summary_grid(doc))
    if danger := danger_lines(doc):
        console.print(_danger_panel(danger))
    for note in doc["notes"]:
        console.print(Text(f"note: {note}", style="yellow"))
    _table_route(doc, console)
    _table_components(doc, console)
    _table_migrations(doc, console)
    _table_issues(doc, console)


def _summary_grid(doc: PathsDoc) -> RenderableType:
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("from", release_line(doc["from"]))
    grid.add_row("to", release_line(doc["to"]))
    grid.add_row("issues", " · ".join(f"{len(items)} {severity}" for severity, items in issue_groups(doc)) or "none")
    return grid


def _danger_panel(lines: list[str]) -> RenderableType:
    from rich.panel import Panel
    from rich.text import Text

    title = Text(" DATA AT RISK ", style="bold red reverse")
    return Panel(Text("\n".join(lines), style="bold"), title=title, title_align="left", border_style="red")


def _table_route(doc: PathsDoc, console: Console) -> None:
    from rich.table import Table

    print_section(console, f"ROUTE ({len(doc['hops'])} hop(s))", "bold")
    table = Table(box=None, padding=(0, 2), show_edge=False, header_style="dim")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("hop", no_wrap=True)
    table.add_column("upgrade guide", overflow="fold")
    for index, hop in enumerate(doc["hops"], 1):
        table.add_row(str(index), hop_label(hop, doc), guide_text(hop))
    if doc["direct"]:
        table.add_row("-", hop_label(doc["direct"], doc), "not in the support matrix")
    console.print(table if table.row_count else "No route.")


def _table_components(doc: PathsDoc, console: Console) -> None:
    from rich.table import Table

    print_section(console, "COMPONENT CHANGES", "bold")
    table = Table(box=None, padding=(0, 2), show_edge=False, header_style="dim")
    for column in ("hop", "component", "from", "to"):
        table.add_column(column, overflow="fold")
    previous = None
    for label, *cells in change_rows(doc):
        table.add_row("" if label == previous else label, *cells)
        previous = label
    console.print(table)


def _table_migrations(doc: PathsDoc, console: Console) -> None:
    from rich.text import Text

    print_section(console, "LONGHORN MIGRATIONS", "bold")
    if not doc["hops"]:
        console.print("No route, so no migrations.")
    for hop in doc["hops"]:
        console.print(Text.assemble((hop_label(hop, doc), "bold"), "  ", longhorn_line(hop)))
        if not hop["migrations"]:
            console.print(Text(f"  {no_migrations_line(hop)}", style="dim"))
        for migration in hop["migrations"] or ():
            console.print(_migration_block(migration))


def _migration_block(migration: dict[str, Any]) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    severity = migration["risk"]["severity"]
    write = (migration["write"] or migration["type"]).upper()
    head = Text.assemble("  ", (migration["id"], "bold"), "  ", migration["crd"], "  ",
                         (write, "bold red" if migration["write"] == "lenient" else "bold"), "  ",
                         (severity, _SEVERITY_STYLE[severity]))
    rows = Table.grid(padding=(0, 1))
    rows.add_column(width=4)
    rows.add_column(style="dim", no_wrap=True, min_width=len("if stale"))
    rows.add_column(overflow="fold")
    rows.add_row("", "needs", migration_needs(migration))
    rows.add_row("", "if stale", Text(migration["risk"]["effect"], style="dim"))
    return Group(head, rows)


def _table_issues(doc: PathsDoc, console: Console) -> None:
    if not doc["issues"]:
        print_section(console, "KNOWN ISSUES (0)", "bold")
        console.print("No known issue applies.")
    for severity, issues in issue_groups(doc):
        print_section(console, f"{severity.upper()} ({len(issues)})", _SEVERITY_STYLE[severity])
        for index, issue in enumerate(issues):
            if index:
                console.print()
            console.print(_issue_block(issue, doc, _SEVERITY_STYLE[severity]))


def _issue_block(issue: dict[str, Any], doc: PathsDoc, style: str) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    head = Text.assemble((issue["findingId"], style), "  ", issue["title"])
    rows = Table.grid(padding=(0, 1))
    rows.add_column(width=2)
    rows.add_column(style="dim", no_wrap=True, min_width=len("detect"))
    rows.add_column(overflow="fold")
    rows.add_row("", "hops", issue_hops(issue, doc))
    rows.add_row("", "about", facts_line(issue))
    rows.add_row("", "detect", detection_text(issue))
    rows.add_row("", "fix", Text(truncate(issue["mitigation"], MITIGATION_WIDTH), style="dim"))
    if issue["urls"]:
        rows.add_row("", "see", Text(issue["urls"][0], style="dim"))
    return Group(head, rows)


# --- Markdown ------------------------------------------------------------------------------------------


def _render_markdown(doc: PathsDoc, stream: TextIO) -> None:
    """For a ticket or a change request: complete text (no truncation), every URL."""
    stream.write("\n\n".join(section for section in _markdown_sections(doc) if section) + "\n")


def _markdown_sections(doc: PathsDoc) -> list[str]:
    verdict = doc["verdict"].upper()
    sections = [
        f"# hvguard paths: {verdict}",
        f"> **{verdict}** {escape(path_line(doc))}",
        md_table(("", "Release"), [("From", escape(release_line(doc["from"]))),
                                   ("To", escape(release_line(doc["to"]))),
                                   ("hvguard", escape(doc["tool"]["version"]))]),
        "\n".join(f"> **Data at risk:** {escape(line)}" for line in danger_lines(doc)),
        "\n".join(f"- {escape(note)}" for note in doc["notes"]),
        _md_route(doc),
        "## Component changes\n\n" + md_table(("Hop", "Component", "From", "To"),
                                            [tuple(map(escape, row)) for row in change_rows(doc)]),
        _md_migrations(doc),
        f"## Known issues ({len(doc['issues'])})",
    ]
    if not doc["issues"]:
        sections.append("No known issue applies.")
    for severity, issues in issue_groups(doc):
        sections.append(f"### {severity.upper()} ({len(issues)})")
        sections.extend(_md_issue(issue, doc) for issue in issues)
    return sections


def _md_route(doc: PathsDoc) -> str:
    rows = [(str(index), hop_label(hop, doc), guide_text(hop, link=lambda url: f"<{url}>"))
            for index, hop in enumerate(doc["hops"], 1)]
    if doc["direct"]:
        rows.append(("-", hop_label(doc["direct"], doc), "not in the support matrix"))
    return "## Route\n\n" + (md_table(("#", "Hop", "Upgrade guide"), rows) if rows else "No route.")


def _md_migrations(doc: PathsDoc) -> str:
    parts = ["## Longhorn migrations"]
    if not doc["hops"]:
        parts.append("No route, so no migrations.")
    for hop in doc["hops"]:
        parts.append(f"### {hop_label(hop, doc)} — {escape(longhorn_line(hop))}")
        rows = [(code(m["id"]), code(m["crd"]), escape(migration_needs(m)), f"**{m['write'] or m['type']}**",
                 f"**{m['risk']['severity']}**: {escape(m['risk']['effect'])}") for m in hop["migrations"] or ()]
        header = ("Rule", "CRD", "Live CRD needs", "Write", "If the CRD is stale")
        parts.append(md_table(header, rows) if rows else escape(no_migrations_line(hop)).capitalize() + ".")
    return "\n\n".join(parts)


def _md_issue(issue: dict[str, Any], doc: PathsDoc) -> str:
    return "\n".join([
        f"#### {code(issue['findingId'])} — {escape(issue['title'])}",
        "",
        f"- **Hops:** {issue_hops(issue, doc)}",
        f"- **About:** {escape(facts_line(issue))}",
        f"- **Detection:** {escape(detection_text(issue))}",
        f"- **What to look for:** {escape(issue['detect'])}",
        "",
        f"**Mitigation:** {escape(issue['mitigation'])}",
        "",
        "**References:** " + (", ".join(f"<{url}>" for url in issue["urls"]) or "none"),
    ])
