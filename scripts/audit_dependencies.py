"""The locked dependencies checked against known vulnerabilities (pip-audit, PyPI's advisories).

The advisories come from pypi.org's JSON API. A machine that reaches only a package mirror
cannot read them: pip-audit then skips every package and would still print "No known
vulnerabilities found". This script counts what was really audited and says plainly when
nothing was (the check must then run where the data is reachable: docs/security.md). A
known vulnerability in an audited package fails the run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ["requirements/base.txt", "requirements/dev.txt"]


def main() -> int:
    command = [str(ROOT / ".venv/bin/pip-audit"), "--format", "json", "--progress-spinner", "off"]
    command += ["--disable-pip", "--require-hashes"]
    for lock in LOCKS:
        command += ["-r", str(ROOT / lock)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    try:
        report = json.loads(result.stdout)
    except ValueError:
        print(result.stderr.strip() or result.stdout.strip())
        print("audit-dependencies: pip-audit gave no report: NOT checked")
        return 0 if "ConnectionError" in result.stderr or "Max retries" in result.stderr else 1
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixed})")
    print(
        f"audit-dependencies: {len(audited)} of {len(dependencies)} locked packages audited, "
        f"{len(vulnerable)} with a known vulnerability"
    )
    if not audited:
        print("audit-dependencies: PyPI's advisory data is not reachable from this machine: NOT checked here")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
