"""The README's quick start and CLI documentation stay true to the project."""

from __future__ import annotations

import re
import shlex

from grader.cli import main


def _bash_blocks(text):
    return re.findall(r"```bash\n(.*?)```", text, re.S)


def test_quick_start_is_two_commands_that_install_and_run(root):
    text = (root / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = _bash_blocks(quick)
    assert len(blocks) == 2 and all(len(block.strip().splitlines()) == 1 for block in blocks)
    grade_command, test_command = (block.strip() for block in blocks)
    for command in (grade_command, test_command):
        assert command.startswith("python3.11 -m venv") and "pip install torch==2.13.0 &&" in command
    sample = grade_command.rsplit("grader check ", 1)[1]
    assert (root / sample).is_file()
    assert test_command.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command(root):
    ci = (root / ".ci" / "run").read_text()
    quick = (root / "README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    test_command = _bash_blocks(quick)[1]
    target = re.search(r'pip install -e ("\.\[[a-z,]+\]")', test_command).group(1)  # what the README installs
    assert "dev" in target and "staff" in target
    assert "torch==2.13.0" in ci and target in ci
    assert re.search(r"^python -m pytest$", ci, re.M)
    assert ci.index("torch==2.13.0") < ci.index(target)


def _linked_pages(root):
    """README.md and the docs/ pages it links to: what a reader reaches from the README."""
    readme = root / "README.md"
    linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)(?:#[^)]*)?\)", _without_code(readme.read_text())))
    return [readme, *(root / page for page in sorted(linked))]


def test_every_command_is_documented(root):
    text = "\n".join(page.read_text(encoding="utf-8") for page in _linked_pages(root))
    for name in main.commands:
        assert f"grader {name}" in text, name
    readme = (root / "README.md").read_text()
    for code in range(4):
        assert f"| {code} |" in readme


def _without_code(text):
    """Markdown with fenced blocks and inline code spans removed: links inside them are not links."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"(`+).*?\1", "", text, flags=re.S)


def _slug(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, each space a hyphen."""
    heading = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", heading).replace(" ", "-")


def _anchors(path):
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}


def _documents(root):
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def _broken_links(path):
    text = _without_code(path.read_text(encoding="utf-8"))
    targets = re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r"<img [^>]*src=\"([^\"]+)\"", text)
    broken = []
    for target in targets:
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in _anchors(linked)):
            broken.append(target)
    return broken


def test_every_relative_link_of_the_docs_resolves(root):
    """Links to files of the repository and to headings (GitHub's anchors) in README.md and docs/*.md."""
    for path in _documents(root):
        assert not _broken_links(path), (path.name, _broken_links(path))


def test_the_link_check_sees_a_broken_link(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A page\n\n## JSON report (`--format json`)\n")
    page = tmp_path / "README.md"
    page.write_text("[ok](docs/a.md#json-report---format-json) [here](#a-title)\n\n# A title\n")
    assert _broken_links(page) == []
    page.write_text("[gone](docs/b.md) [anchor](docs/a.md#json-report) `[code](nowhere.md)`\n")
    assert _broken_links(page) == ["docs/b.md", "docs/a.md#json-report"]


def test_every_docs_page_is_reached_from_the_readme(root):
    linked = {page.name for page in _linked_pages(root)[1:]}
    assert {page.name for page in (root / "docs").glob("*.md")} <= linked


def _shown_commands(text):
    """The `grader ...` command lines of a page: bash blocks, and `$ ` lines of console transcripts."""
    lines = []
    for kind, block in re.findall(r"```(bash|console)\n(.*?)```", text, re.S):
        for line in block.splitlines():
            if kind == "console":
                line = line[2:] if line.startswith("$ ") else ""
            line = line.split(" #", 1)[0].split("&&")[-1].split(">", 1)[0].strip()
            words = [w for w in shlex.split(line) if not re.match(r"[A-Z_]+=", w)]
            if words[:1] == ["grader"]:
                lines.append(words)
    return lines


def _unknown_options(words):
    """Options of a `grader` command line that the CLI does not have, or the unknown subcommand."""
    names = {name for param in main.params for name in param.opts}
    rest = [w for w in words[1:] if w not in names]
    command = main
    while hasattr(command, "commands"):  # the group, then its subcommand (grader roster import ...)
        command = command.commands.get(rest[0]) if rest else None
        if command is None:
            return rest[:1]
        rest = rest[1:]
    names |= {name for param in command.params for name in getattr(param, "opts", [])} | {"-h", "--help"}
    return [w for w in rest if w.startswith("-") and w.split("=", 1)[0] not in names]


def test_the_readers_paths_show_real_commands(root):
    """Each reader's path has a transcript, and every command the README and docs/ show exists with its options."""
    text = (root / "README.md").read_text()
    paths = text.split("## Start here", 1)[1].split("\n## ", 1)[0]
    for reader in ("Students", "TAs", "Instructors", "Operators"):
        section = paths.split(f"### {reader}\n", 1)[1].split("\n### ", 1)[0]
        assert re.search(r"```console\n(.*\n)*?\$ (\w+=\w+ )?grader ", section), reader
    assert len(_shown_commands(text)) >= 10
    for page in _documents(root):
        commands = _shown_commands(page.read_text(encoding="utf-8"))
        assert all(not _unknown_options(words) for words in commands), [w for w in commands if _unknown_options(w)]
    assert _unknown_options(["grader", "check", "x.ipynb", "--no-such-option"]) == ["--no-such-option"]
    assert _unknown_options(["grader", "grade", "x.ipynb"]) == ["grade"]
