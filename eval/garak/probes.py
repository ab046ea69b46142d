"""Write the prompts of garak's injection probes as `guardstream eval` lines (label 1).

Usage: python probes.py OUT.jsonl [module.Probe,...]
(run by eval/garak.ts inside a venv with garak installed)

Without a list, the probes are the ones `garak --probes latentinjection,promptinject,web_injection`
runs by default (the capped variants; the "...Full" ones are not active by default), plus
goodside.Tag (instructions hidden in Unicode tag characters). With a list, exactly those probes. garak builds each prompt from
templates with its own seeded sampling; the seed is fixed here so the file is the same on
every run of the same garak version.
"""

import importlib
import inspect
import json
import random
import sys

from garak import _config

_config.load_base_config()
_config.run.seed = 20261126

import garak.probes.base as base  # noqa: E402
import garak.probes.goodside as goodside  # noqa: E402
import garak.probes.latentinjection as latentinjection  # noqa: E402
import garak.probes.promptinject as promptinject  # noqa: E402
import garak.probes.web_injection as web_injection  # noqa: E402


def prompt_text(prompt):
    if isinstance(prompt, str):
        return prompt
    turns = getattr(prompt, "turns", None)
    if turns:
        return turns[-1].content.text
    return str(prompt)


def probes():
    for module in (latentinjection, promptinject, web_injection):
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(cls, base.Probe):
                continue
            if name.endswith("Full") or "Mixin" in name:
                continue
            yield f"{module.__name__.split('.')[-1]}.{name}", cls
    yield "goodside.Tag", goodside.Tag


def named(names):
    for full in names.split(","):
        module, name = full.rsplit(".", 1)
        yield full, getattr(importlib.import_module(f"garak.probes.{module}"), name)


def main(out_path, names=None):
    count = 0
    with open(out_path, "w", encoding="utf-8") as out:
        for source, cls in probes() if names is None else named(names):
            random.seed(20261126)
            probe = cls()
            for prompt in probe.prompts:
                line = {"text": prompt_text(prompt), "label": 1, "source": source}
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                count += 1
            print(f"[garak] {source}: {len(probe.prompts)} prompts", file=sys.stderr)
    print(f"[garak] wrote {count} prompts to {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
