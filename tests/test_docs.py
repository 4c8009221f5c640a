"""The documentation is true: the files it links exist, the machine list names every
shipped machine, and the gem5 page's options exist on the command line."""

import re

from tests.conftest import CONFIGS, ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_links_point_to_files_that_exist():
    missing = []
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text()):
            if not (doc.parent / target).exists():
                missing.append(f"{doc.name}: {target}")
    assert missing == []


def test_named_repository_paths_exist():
    """Paths written in backticks that start with a top-level folder of the repository."""
    tops = ("graphsim/", "gui/", "tests/", "configs/", "assets/", "benchmarks/", "scripts/", "docs/")
    missing = []
    for doc in DOCS:
        if doc.name == "gem5-users.md":  # names gem5's own files too
            continue
        for path in re.findall(r"`([A-Za-z0-9_./-]+)`", doc.read_text()):
            if path.startswith(tops) and "*" not in path and not (ROOT / path).exists():
                missing.append(f"{doc.name}: {path}")
    assert missing == []


def test_no_doc_names_a_file_outside_the_repository():
    for doc in DOCS:
        assert "DESIGN.md" not in doc.read_text(), doc.name


def test_machine_list_names_every_shipped_machine():
    text = (ROOT / "docs" / "config.md").read_text()
    listed = set(re.findall(r"^\| `([^`]+\.toml)` \|", text, re.M))
    assert listed == {p.name for p in CONFIGS.glob("*.toml")}


def test_gem5_page_options_exist():
    from graphsim.cli import build_parser

    parser = build_parser()
    helps = {name: sub.format_help() for name, sub in parser._subparsers._group_actions[0].choices.items()}
    text = (ROOT / "docs" / "gem5-users.md").read_text()
    for option in ("--cpu", "--max-insts", "--max-tick", "--checkpoint-at-inst", "--checkpoint-on-interrupt",
                   "--absolute", "--switch-at-inst", "--trace", "--outdir", "--set"):
        assert option in text
        assert any(option in h for h in helps.values()), option
