"""Reads BIG-bench's task files straight out of its PyPI sdist (bigbench 1.0.0) and prints, as
one JSON object, up to 200 distinct prompts per task group in file order: the task's prefix (its
instruction, where it has one) and a newline before each example's input, 20 to 4,000
characters. Each of natural_instructions' subtasks is a group of its own; hhh_alignment (harmful
requests among its inputs) is left out. Usage: bigbench.py SDIST > groups.json"""
import json
import sys
import tarfile

PER_GROUP = 200
EXCLUDED = {'hhh_alignment'}


def task_files(sdist):
    """Each task.json of the sdist's benchmark tasks: (the task's path under benchmark_tasks, as
    a list of folder names; its parsed JSON). Files that do not parse are skipped."""
    with tarfile.open(sdist, 'r:gz') as archive:
        for member in archive:
            parts = member.name.split('/')
            if not member.isfile() or parts[-1] != 'task.json' or 'benchmark_tasks' not in parts:
                continue
            task = parts[parts.index('benchmark_tasks') + 1:-1]
            try:
                spec = json.load(archive.extractfile(member))
            except ValueError:
                continue
            yield task, spec


def main():
    groups = {}
    for task, spec in task_files(sys.argv[1]):
        if not task or task[0] in EXCLUDED:
            continue
        group = '/'.join(task[:2]) if task[0] == 'natural_instructions' else task[0]
        prefix = (spec.get('task_prefix') or '').strip() if isinstance(spec, dict) else ''
        examples = spec.get('examples') if isinstance(spec, dict) else None
        texts = groups.setdefault(group, [])
        seen = set(texts)
        for example in examples or []:
            value = example.get('input') if isinstance(example, dict) else None
            if not isinstance(value, str) or len(texts) >= PER_GROUP:
                continue
            text = f'{prefix}\n{value.strip()}' if prefix else value.strip()
            if 20 <= len(text) <= 4000 and text not in seen:
                seen.add(text)
                texts.append(text)
    json.dump({group: texts for group, texts in sorted(groups.items()) if texts}, sys.stdout)


if __name__ == '__main__':
    main()
