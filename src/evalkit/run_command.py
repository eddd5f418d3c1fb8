"""``python -m evalkit run``: help and argument checks before Hydra loads, then the Hydra app.

Loading Hydra and composing the demo's config takes longer than a person should wait for help, so
``--help`` is written here from the bundled ``conf/`` folder (its groups and options are the folder's
sub-folders and YAML files); ``--cfg job`` still shows the composed config, ``--hydra-help`` Hydra's
own flags.
"""

from __future__ import annotations

import sys
from pathlib import Path

from evalkit.errors import EvalkitError
from evalkit.paths import bundled_conf_dir
from evalkit.run_args import preflight


def help_text(conf: Path) -> str:
    """The text of ``evalkit run --help``: the header and footer of conf/config.yaml and the groups."""
    import yaml

    help_cfg = yaml.safe_load((conf / "config.yaml").read_text())["hydra"]["help"]
    groups = sorted(p for p in conf.iterdir() if p.is_dir() and any(p.glob("*.yaml")))
    lines = [help_cfg["header"].rstrip(), "", "== Configuration groups ==",
             "Compose your configuration from those groups (group=option)", ""]
    lines += [f"{g.name}: {', '.join(sorted(f.stem for f in g.glob('*.yaml')))}" for g in groups]
    lines += ["", "== Config ==",
              "python -m evalkit run --cfg job [OVERRIDES...] prints the composed config (every key, with",
              "your overrides applied); --hydra-help lists Hydra's own flags (-m, --multirun, --info, ...).",
              "", help_cfg["footer"].rstrip()]
    return "\n".join(lines)


def main(args: list[str]) -> int:
    """Print help, or check ``args`` and hand them to Hydra; returns the exit code."""
    if "--help" in args or "-h" in args:
        print(help_text(bundled_conf_dir()))
        return 0
    try:
        preflight(args, bundled_conf_dir())
    except EvalkitError as exc:
        print(f"evalkit: error: {exc}", file=sys.stderr)
        return exc.exit_code
    from evalkit.hydra_app import main as hydra_main

    return hydra_main(args)
