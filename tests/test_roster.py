"""The course roster: read and checked, imported from a GitHub Classroom export and a Canvas export."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fake_github import FakeGitHub

from grader.batch import gradebook
from grader.cli import main
from grader.course.roster import (
    RosterEntry,
    RosterError,
    import_canvas,
    import_classroom,
    read_roster,
    teams,
    write_roster,
)
from grader.platforms.github_api import GitHubClient
from grader.platforms.provision import unknown_logins

CLASSROOM = ('"identifier","github_username","github_id","name"\n'
             '"ana@uni.example","ana-k","101","Ana K"\n'
             '"s002","bo","102",""\n'
             '"s003","","",""\n')
CANVAS = ('Student,ID,SIS User ID,SIS Login ID,Section,Lab 1 (1234)\n'
          '    Points Possible,,,,,22\n'
          '"Kovacs, Ana",11,S001,ana@uni.example,Mon,\n'
          '"Berg, Bo",12,S002,bo@uni.example,Tue,\n'
          '"Student, Test",99,,,Mon,\n')


def test_a_classroom_export_becomes_a_roster_that_batch_reads(tmp_path):
    source = tmp_path / "classroom_roster.csv"
    source.write_text(CLASSROOM)
    entries = import_classroom(source)
    assert entries[0] == RosterEntry("ana@uni.example", "ana-k", "Ana K", "ana@uni.example")
    assert entries[1].name == "s002"  # Classroom held no name: the identifier stands in
    assert entries[2].github_username == ""  # not linked yet: kept, provisioning skips them
    out = tmp_path / "roster.csv"
    write_roster(entries, out)
    assert read_roster(out) == entries
    # grader batch --roster reads the course roster as it reads a Classroom export
    assert [s.github_username for s in gradebook.read_roster(out)] == ["ana-k", "bo", ""]


def test_a_canvas_export_with_a_list_of_github_usernames(tmp_path):
    source = tmp_path / "canvas.csv"
    source.write_text(CANVAS)
    logins = tmp_path / "logins.csv"
    logins.write_text("email,github_username,team\nbo@uni.example,bo-b,red\nANA@uni.example,ana-k,red\n")
    entries = import_canvas(source, logins)
    assert [(e.identifier, e.name, e.github_username, e.section, e.team) for e in entries] == [
        ("S001", "Ana Kovacs", "ana-k", "Mon", "red"), ("S002", "Bo Berg", "bo-b", "Tue", "red")]
    assert {name: [e.identifier for e in members] for name, members in teams(entries).items()} == {
        "red": ["S001", "S002"]}
    logins.write_text("SIS User ID,github_username\nS001,ana-k\nS777,zed\n")
    with pytest.raises(RosterError, match=r"logins.csv line 3: S777 is not a student of the export \(unknown user\)"):
        import_canvas(source, logins)
    assert [e.github_username for e in import_canvas(source)] == ["", ""]


@pytest.mark.parametrize(("rows", "message"), [
    ("a,ana,Ana\nb,ANA,Bea\n", "line 3: GitHub username 'ANA' is also on line 2"),
    ("a,ana,Ana\nA,bo,Bo\n", "line 3: identifier 'A' is also on line 2"),
    ("a,ana,Ana\nb,bo,\n", "line 3: b has no name"),
    ("a,ana,Ana\n,bo,Bo\n", "line 3: no identifier"),
    ("a,../etc,Ana\n", "line 2: '../etc' is not a GitHub username"),
])
def test_a_bad_roster_names_every_problem_with_its_line(tmp_path, rows, message):
    path = tmp_path / "roster.csv"
    path.write_text("identifier,github_username,name\n" + rows)
    with pytest.raises(RosterError) as raised:
        read_roster(path)
    assert message in str(raised.value)


def test_not_a_roster_at_all(tmp_path):
    path = tmp_path / "grades.csv"
    path.write_text("student,score\nana,3\n")
    with pytest.raises(Exception, match="not a course roster: no column identifier, github_username, name"):
        read_roster(path)
    with pytest.raises(Exception, match="not a Canvas gradebook export: no column"):
        import_canvas(path)


def test_logins_github_does_not_know(tmp_path):
    fake = FakeGitHub().start()
    fake.users = {"ana-k"}
    try:
        client = GitHubClient("ta-token", fake.url)
        found = unknown_logins([RosterEntry("a", "ana-k", "Ana"), RosterEntry("b", "ghost-9", "Bo")], client)
    finally:
        fake.stop()
    assert found == ["b: no GitHub user 'ghost-9' (unknown user)"]


def test_roster_import_command(tmp_path):
    source = tmp_path / "classroom_roster.csv"
    source.write_text(CLASSROOM)
    out = tmp_path / "roster.csv"
    result = CliRunner().invoke(main, ["roster", "import", str(source), "--from", "classroom", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 students" in result.output and "1 without a GitHub username: s003" in result.output
    assert len(read_roster(out)) == 3
    source.write_text(CLASSROOM + '"s004","bo","103","Bo again"\n')
    result = CliRunner().invoke(main, ["roster", "import", str(source), "--from", "classroom", "--out", str(out)])
    assert result.exit_code == 2 and "GitHub username 'bo' is also on line 3" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    result = CliRunner().invoke(main, ["roster", "check", str(out)])
    assert result.exit_code == 0 and "3 students" in result.output
    assert CliRunner().invoke(main, ["roster", "import", "--help"]).exit_code == 0
