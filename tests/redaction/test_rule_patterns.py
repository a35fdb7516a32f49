"""The redactor's rules compile their patterns when first used, to the patterns they name."""

from __future__ import annotations

import re
import subprocess
import sys

from trajectory_miner.redaction import redactor

SAMPLE = (
    "export OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv\\n"
    "curl -H 'Authorization: Bearer abcDEF1234567890ghiJKL' https://user:hunter2@example.com/x\n"
    "ghp_0123456789abcdefghijABCDEFGHIJ0123 AKIAABCDEFGHIJKLMNOP mysql -pS3cret! <private>me</private>\n"
    "machine api.example.com login me password p4ss sshpass -p topsecret ssh host"
)


def test_each_rule_finds_what_its_pattern_compiled_at_once_finds() -> None:
    for rule in redactor._RULES:
        compiled = re.compile(rule.pattern.pattern, rule.pattern.flags)
        assert [m.span() for m in rule.pattern.finditer(SAMPLE)] == [m.span() for m in compiled.finditer(SAMPLE)]


def test_importing_the_redactor_compiles_no_rule() -> None:
    code = (
        "from trajectory_miner.redaction import redactor\n"
        "print(sum(rule.pattern._compiled is not None for rule in redactor._RULES))\n"
        "redactor.redact('sk-ant-api03-Ab3dEf6hIj9kLm2nOp5qRs8tUv')\n"
        "print(sum(rule.pattern._compiled is not None for rule in redactor._RULES))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "0" and 0 < int(out[1]) < len(redactor._RULES)
