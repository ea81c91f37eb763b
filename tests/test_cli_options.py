"""The command line as a person types it: suggestions, help, completion.

The real parser and the real command (in-process); completion is checked
by loading the generated script into a real bash and asking it to complete.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from report_helpers import cli, write_profile

from conformance.cli.completion import walk
from conformance.cli.main import REPORT_FILES, build_parser, main
from conformance.reporting.writers import WRITERS


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (
            ("validate", "x.json", "--standrd", "person"),
            "--standrd (did you mean --standard?)",
        ),
        (("run", "--agncy", "a.toml"), "--agncy (did you mean --agency?)"),
        (("report", "gate", "latest", "--wavers", "w.toml"), "did you mean --waivers?"),
        (("vaildate", "x.json"), "did you mean 'validate'?"),
        (("report", "rendr", "latest"), "did you mean 'render'?"),
        (("run", "--level", "shuold"), "did you mean 'SHOULD'?"),
    ],
)
def test_a_mistyped_option_command_or_choice_gets_a_suggestion(
    capsys, args, suggestion
):
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(list(args))
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert suggestion in err
    # The usage shown is the subcommand's, where the option belongs.
    command = "" if args[0] == "vaildate" else f" {args[0]}"
    assert err.startswith(f"usage: conformance{command}")


def test_levels_are_read_in_any_case(tmp_path, capsys):
    parser = build_parser()
    assert parser.parse_args(["run", "--level", "must", "--level", "Should"]).level == [
        "MUST",
        "SHOULD",
    ]
    profile = write_profile(tmp_path / "p")

    def requests(level: str) -> str:
        code, out, err = cli(
            capsys,
            "run",
            "--agency",
            profile,
            "--level",
            level,
            "--dry-run",
            # One seed: what fuzzing would send depends on it.
            "--fuzz-seed",
            "1",
            "--reports-dir",
            tmp_path / level,
        )
        assert code == 0, err
        return out.splitlines()[-1].split(";")[0]  # "dry run: N requests ..."

    # The same selection in any case; another level selects other checks.
    assert requests("must") == requests("MUST") != requests("SHOULD")
    assert requests("should") == requests("SHOULD")


def _listed(capsys, *args: str) -> list[str]:
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    return sorted({item["ref"].split("@")[0] for item in json.loads(out)})


def test_global_options_are_accepted_after_the_subcommand(tmp_path, capsys):
    own = Path(__file__).parent / "data" / "registries" / "third-party"
    before = _listed(capsys, "--registry", own, "standards", "list", "--format", "json")
    after = _listed(capsys, "standards", "list", "--format", "json", "--registry", own)
    bundled_ids = _listed(capsys, "standards", "list", "--format", "json")
    assert before == after
    assert "parcel-api" not in bundled_ids and "parcel-api" in after
    parsed = build_parser().parse_args(["--debug", "validate", "x.json", "--no-color"])
    assert parsed.debug is True and parsed.no_color is True
    # Given before the subcommand, a global option is not reset by it.
    parsed = build_parser().parse_args(["--registry", "R", "validate", "x.json"])
    assert str(parsed.registry) == "R"


def test_every_argument_has_help_and_every_command_examples():
    missing, no_examples = [], []
    for path, parser in walk(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{' '.join(path)} {action.dest}")
        epilog = parser.epilog or ""
        if "examples:\n  conformance" not in epilog:
            no_examples.append(" ".join(path) or "conformance")
    assert missing == []
    assert no_examples == []


def test_run_help_names_every_report_it_writes(capsys):
    assert set(REPORT_FILES) == {filename for _, filename in WRITERS.values()}
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for filename in (*REPORT_FILES, "dashboard.html", "audit.log"):
        assert filename in out
    assert "examples:" in out


@pytest.fixture(scope="module")
def bash_completion(tmp_path_factory):
    """The script ``conformance completion bash`` prints, in a file."""
    if shutil.which("bash") is None:
        pytest.skip("no bash on this machine")
    script = tmp_path_factory.mktemp("completion") / "conformance.bash"
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["completion", "bash"]) == 0
    script.write_text(buffer.getvalue(), encoding="utf-8")
    return script


def complete(script, line: str, cwd=None) -> list[str]:
    """What bash offers for ``line`` (the cursor at its end)."""
    words = line.split(" ")
    program = (
        f"source {script}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        "_conformance_complete\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("conformance val", ["validate"]),
        (
            "conformance ",
            ["checks", "completion", "report", "run", "serve", "standards", "validate"],
        ),
        ("conformance report ren", ["render"]),
        ("conformance run --le", ["--level"]),
        ("conformance run --level ", ["MAY", "MUST", "SHOULD"]),
        ("conformance run --level M", ["MAY", "MUST"]),
        ("conformance report render latest --format sa", ["sarif"]),
        (
            "conformance standards generate person --kind ",
            ["boundary", "invalid", "valid"],
        ),
        ("conformance validate x.json --reg", ["--registry"]),
        ("conformance completion ", ["bash", "zsh"]),
    ],
)
def test_bash_completes_commands_options_and_choices(bash_completion, line, expected):
    assert sorted(complete(bash_completion, line)) == expected


def test_bash_completes_file_names_where_a_path_goes(bash_completion, tmp_path):
    (tmp_path / "mia.toml").write_text("", encoding="utf-8")
    (tmp_path / "payloads").mkdir()
    assert complete(bash_completion, "conformance run --agency mi", cwd=tmp_path) == [
        "mia.toml"
    ]
    assert complete(bash_completion, "conformance validate pay", cwd=tmp_path) == [
        "payloads"
    ]
    # A value that is not a path offers nothing rather than file names.
    assert complete(bash_completion, "conformance run --source mi", cwd=tmp_path) == []


def test_the_zsh_script_loads_bash_completion_first(capsys):
    code, out, _ = cli(capsys, "completion", "zsh")
    assert code == 0
    assert out.splitlines()[:2] == [
        "autoload -U +X compinit && compinit",
        "autoload -U +X bashcompinit && bashcompinit",
    ]
    assert "complete -o filenames -F _conformance_complete conformance" in out
