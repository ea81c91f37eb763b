"""Shell completion scripts, generated from the command's own parser.

The script is static: it lists, for each subcommand, its subcommands, its
options and the choices of each option, so that completing costs the shell
nothing and never starts Python. It is made from the parser itself, so it
cannot drift from the options the command takes. zsh uses the same script
through its bash compatibility (``bashcompinit``).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

# Options whose value is a path: the shell completes file names there.
_PATH_METAVARS = {"PATH", "FILE", "DIR", "PROFILE", "REPORT", "FOLDER"}


def subcommands(
    parser: argparse.ArgumentParser,
) -> dict[str, argparse.ArgumentParser]:
    """The subcommands of ``parser`` by name (empty when it has none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def walk(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """``parser`` and every subcommand's parser under it, with its path."""
    yield path, parser
    for name, sub in subcommands(parser).items():
        yield from walk(sub, (*path, name))


def _quote(words: list[str]) -> str:
    # Every word comes from the parser (option names, choices, command
    # names): plain ASCII without quotes, checked rather than escaped.
    for word in words:
        if not word.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise ValueError(f"a word the shell would misread: {word!r}")
    return " ".join(words)


def bash_script(parser: argparse.ArgumentParser) -> str:
    """A bash completion function for the command ``parser.prog``."""
    prog = parser.prog
    function = "_" + prog.replace("-", "_") + "_complete"
    commands, words, values, files, positional = [], [], [], [], []
    for path, sub in walk(parser):
        key = " ".join(path)
        if path:
            commands.append(f'        "{key}") return 0 ;;')
        options = [s for a in sub._actions for s in a.option_strings]
        names = list(subcommands(sub))
        # A positional argument with choices (``completion bash``) completes
        # as a subcommand would.
        names += [
            str(choice)
            for a in sub._actions
            if not a.option_strings
            and a.choices is not None
            and not isinstance(a, argparse._SubParsersAction)
            for choice in a.choices
        ]
        words.append(f'        "{key}") words="{_quote(names + options)}" ;;')
        for action in sub._actions:
            if not action.option_strings or action.nargs == 0:
                if (
                    not action.option_strings
                    and not isinstance(action, argparse._SubParsersAction)
                    and action.choices is None
                ):
                    positional.append(f'        "{key}") return 0 ;;')
                continue
            for option in action.option_strings:
                case = f'        "{key}|{option}")'
                if action.choices is not None:
                    choices = [str(c) for c in action.choices]
                    values.append(f'{case} words="{_quote(choices)}" ;;')
                elif str(action.metavar) in _PATH_METAVARS:
                    files.append(f"{case} return 0 ;;")
                else:
                    values.append(f'{case} words="" ;;')
    return f"""# {prog}: bash completion, made by `{prog} completion bash`.
# Load it with: eval "$({prog} completion bash)"

{function}_is_command() {{
    case "$1" in
{chr(10).join(commands)}
    esac
    return 1
}}

{function}_takes_files() {{
    case "$1" in
{chr(10).join(sorted(set(positional)))}
    esac
    return 1
}}

{function}_value_is_file() {{
    case "$1" in
{chr(10).join(files)}
    esac
    return 1
}}

{function}() {{
    local cur prev path word i words=""
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev=""
    [ "$COMP_CWORD" -gt 0 ] && prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    path=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${{COMP_WORDS[i]}}"
        if {function}_is_command "${{path:+$path }}$word"; then
            path="${{path:+$path }}$word"
        fi
    done
    COMPREPLY=()
    if [[ "$prev" == -* ]]; then
        if {function}_value_is_file "$path|$prev"; then
            COMPREPLY=($(compgen -f -- "$cur"))
            return 0
        fi
        local found=1
        case "$path|$prev" in
{chr(10).join(values)}
        *) found=0 ;;
        esac
        if [ "$found" = 1 ]; then
            COMPREPLY=($(compgen -W "$words" -- "$cur"))
            return 0
        fi
    fi
    case "$path" in
{chr(10).join(words)}
    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        return 0
    fi
    local commands=""
    for word in $words; do
        [[ "$word" == -* ]] || commands="$commands $word"
    done
    COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    if {function}_takes_files "$path"; then
        COMPREPLY+=($(compgen -f -- "$cur"))
    fi
    return 0
}}
complete -o filenames -F {function} {prog}
"""


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script for ``shell`` (``bash`` or ``zsh``)."""
    text = bash_script(parser)
    if shell == "zsh":
        # zsh reads bash completion functions through bashcompinit.
        return (
            "autoload -U +X compinit && compinit\n"
            "autoload -U +X bashcompinit && bashcompinit\n" + text
        )
    return text
