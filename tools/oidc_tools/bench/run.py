"""`make bench`: what a token request costs on this machine, against the work it cannot avoid (issue 10).

Each section is a function that measures one thing and returns a `Table`; `main` runs them in order and prints them
as Markdown (docs/performance.md shows one run, pasted as printed; a test checks the page has the tables and rows
printed here). A new section is a function added to SECTIONS. Nothing here asserts a time: timing belongs in
figures, not tests; `--quick` runs every section with the fewest repetitions, which is what `make test` does to
prove the bench still runs.

What is measured, and how (docs/performance.md says why):
- Warm path: the CPU of the process serving the request (`time.process_time()` around the handler call, every
  thread of the process included), with DynamoDB and Secrets Manager emulated by a moto server in *another* process,
  so the emulator's CPU is not counted. The floor is measured in the same process, interleaved with the requests:
  one Argon2id verification at the stored parameters plus one RS256 signature per JWT the answer carries (and the
  RSA or SM2 decryption of an encrypted password). Medians, with min and max. The browser sign-in's requests are
  AuthorizeFunction's (the login page, the login POST, prompt=none) and TokenFunction's (the code redemption), both
  warm in the same process.
- AWS round trips: counted with botocore's before-call hook (see `CallLog`).
- Cold start: fresh `python -I -S` processes with the built function's directory (TokenFunction's, and
  AuthorizeFunction's) and its layers' python/ first on sys.path, as Lambda's init has them; against the SDK floor
  (boto3, the clients, cryptography, PyJWT).
- Ratios within one run only: this machine is shared and noisy, absolute times move between runs.

The sections live by kind: warm.py (primitives, warm path, AWS calls), cold.py (cold start, imports, packages),
throughput.py (the local stack over HTTP), costs.py (memory sizes, cost, key sources); container.py holds the warm
functions they measure, emulated_aws.py the emulator and the call log, report.py the tables and their labels.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from oidc_tools.bench.cold import cold_start, packages, slowest_imports
from oidc_tools.bench.container import Run, memory_size
from oidc_tools.bench.costs import cost, key_sources, memory_curve
from oidc_tools.bench.emulated_aws import emulator
from oidc_tools.bench.report import LAMBDA_FULL_VCPU_MB, WARM, Table, header, labels, titles
from oidc_tools.bench.throughput import throughput
from oidc_tools.bench.warm import primitives, round_trips, warm_path

SECTIONS: list[Callable[[Run], Table]] = [primitives, warm_path, round_trips, cold_start, slowest_imports, packages,
                                          throughput, memory_curve, cost, key_sources]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m oidc_tools.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repetition of everything: proves the bench runs")
    parser.add_argument("--plot", type=Path, default=None, help="write the phase and memory plot to this PNG")
    parser.add_argument("--only", nargs="+", choices=[section.__name__ for section in SECTIONS], default=None,
                        help="run these sections alone (while working on one figure; the sections that use another's "
                             "figures need it named too: memory_curve and cost use warm_path)")
    arguments = parser.parse_args(argv)
    sections = [section for section in SECTIONS if arguments.only is None or section.__name__ in arguments.only]
    run = Run(quick=arguments.quick)
    tables = []
    with emulator() as endpoint_url:
        run.endpoint_url = endpoint_url
        print(header() + "\n", flush=True)
        for section in sections:
            table = section(run)
            tables.append(table)
            print(table.markdown() + "\n", flush=True)
    if arguments.only is None:
        assert [table.title for table in tables] == titles(), "titles() must name the tables as they are measured"
    fixed = labels()
    for table in tables:
        if table.fixed:
            assert [row[0] for row in table.rows] == fixed[table.title], table.title
    if arguments.plot:
        from oidc_tools.bench.plot import plot

        plot(run, arguments.plot, warm_order=list(WARM), chosen_memory_mb=memory_size(run.container.template),
             full_vcpu_mb=LAMBDA_FULL_VCPU_MB)
        print(f"plot: {arguments.plot}")


if __name__ == "__main__":
    main()
