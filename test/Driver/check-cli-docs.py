#!/usr/bin/env python3
"""Checks that docs/cli.md and `genc <command> --help` list the same options.

For each command, the options `genc <command> --help` prints (LLVM's generic
--help/--version family aside) must be exactly those named in the first
column of the option tables (`| option | meaning |`) of the section
`### genc <command>` of docs/cli.md; and the commands `genc --help` lists
must be exactly the documented ones. Prints each disagreement and exits
with status 1 when there is one.

Usage: check-cli-docs.py [--genc GENC] [--docs docs/cli.md]
"""

import argparse
import os
import re
import subprocess
import sys

# LLVM's generic options, which every command has and the docs mention once.
GENERIC = {"--help", "--help-hidden", "--help-list", "--help-list-hidden",
           "--version", "--print-options", "--print-all-options"}

HELP_OPTION = re.compile(r"^  (--?[A-Za-z][\w.-]*)")
DOC_OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w.-]*)")


def help_options(genc, command):
    """The options `genc command --help` prints, outside Generic Options."""
    text = subprocess.run([genc, command, "--help"], capture_output=True, text=True,
                          check=True).stdout
    options, heading = set(), ""
    for line in text.splitlines():
        if line and not line[0].isspace() and line.rstrip().endswith(":"):
            heading = line.strip()
            continue
        match = HELP_OPTION.match(line)
        if match and heading != "Generic Options:" and match.group(1) not in GENERIC:
            options.add(match.group(1))
    return options


def help_commands(genc):
    text = subprocess.run([genc, "--help"], capture_output=True, text=True, check=True).stdout
    commands, listing = set(), False
    for line in text.splitlines():
        if line.startswith("COMMANDS:"):
            listing = True
        elif listing and line.startswith("  "):
            commands.add(line.split()[0])
        elif listing and line.strip():
            listing = False
    return commands


def doc_sections(docs):
    """{command: [lines of its `### genc command` section]}."""
    sections, current = {}, None
    for line in docs.splitlines():
        heading = re.match(r"^(#+) (.*)$", line)
        if heading:
            match = re.fullmatch(r"genc (\w+)", heading.group(2).strip())
            current = match.group(1) if len(heading.group(1)) == 3 and match else None
            if current:
                sections[current] = []
            continue
        if current:
            sections[current].append(line)
    return sections


def doc_options(lines):
    """Options named in the first column of the section's option tables."""
    options, in_table = set(), False
    for line in lines:
        if not line.startswith("|"):
            in_table = False
            continue
        # A cell's `a\|b` is a literal bar, not a column break.
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        if cells[0] == "option":
            in_table = True
            continue
        if not in_table:
            continue
        for code in re.findall(r"`([^`]*)`", cells[0]):
            for name in DOC_OPTION.findall(code):
                # -O0 ... -O3 are the one option -O<level>.
                name = re.sub(r"^(-[A-Za-z])\d+$", r"\1", name)
                if name not in GENERIC:
                    options.add(name)
    return options


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genc", default=os.environ.get("GENC", "genc"))
    parser.add_argument("--docs", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "cli.md"))
    args = parser.parse_args()
    with open(args.docs, encoding="utf-8") as f:
        sections = doc_sections(f.read())
    problems = []
    commands = help_commands(args.genc)
    for command in sorted(commands - set(sections)):
        problems.append(f"genc {command}: listed by `genc --help` but {args.docs} has no "
                        f"section '### genc {command}'")
    for command in sorted(set(sections) - commands):
        problems.append(f"genc {command}: {args.docs} documents it but `genc --help` does "
                        f"not list it")
    for command in sorted(commands & set(sections)):
        shown, documented = help_options(args.genc, command), doc_options(sections[command])
        for option in sorted(shown - documented):
            problems.append(f"genc {command}: {option} is in --help but not in the option "
                            f"tables of {args.docs}")
        for option in sorted(documented - shown):
            problems.append(f"genc {command}: {option} is in {args.docs} but not in --help")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"{len(commands)} commands: --help and {args.docs} agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
