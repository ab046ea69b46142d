"""Reads AgentDojo's tasks and attack strings from its source without importing it (importing
pulls in every model client it supports). Run by eval/external.ts on the unpacked wheel:

    python3 eval/external/agentdojo.py WHEEL_DIR  ->  JSON on stdout

{"goals": {suite: [injection task GOAL…]}, "prompts": {suite: [user task PROMPT…]},
 "attacks": {attack name: jailbreak string with {goal} / {user} / {model}}}

Goals and prompts are class attributes written as strings or f-strings of the class's own
constants; the few that call code (dates formatted at run time) are skipped and counted on stderr.
"""
import ast
import json
import sys
from pathlib import Path

SUITES = ('workspace', 'travel', 'banking', 'slack')


class Unresolved(Exception):
    pass


def evaluate(node, names):
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float)):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        raise Unresolved(node.id)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                if value.format_spec is not None:
                    raise Unresolved('format spec')
                parts.append(str(evaluate(value.value, names)))
            else:
                parts.append(str(evaluate(value, names)))
        return ''.join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return evaluate(node.left, names) + evaluate(node.right, names)
    raise Unresolved(type(node).__name__)


def class_strings(path, attribute):
    found, skipped = [], 0
    for cls in ast.parse(Path(path).read_text()).body:
        if not isinstance(cls, ast.ClassDef):
            continue
        names = {}
        for statement in cls.body:
            if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
                continue
            target = statement.targets[0]
            if not isinstance(target, ast.Name):
                continue
            try:
                names[target.id] = evaluate(statement.value, names)
            except Unresolved:
                if target.id == attribute:
                    skipped += 1
        if isinstance(names.get(attribute), str):
            found.append(names[attribute])
    return found, skipped


def attack_strings(attacks_dir):
    """Each attack class's own jailbreak string: `_JB_STRING`, or the literal given to
    `super().__init__`; only those whose fields are goal, user and model."""
    out = {}
    for path in sorted(Path(attacks_dir).glob('*.py')):
        for cls in ast.parse(path.read_text()).body:
            if not isinstance(cls, ast.ClassDef):
                continue
            name, template = None, None
            for statement in ast.walk(cls):
                if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                    target = statement.targets[0]
                    if isinstance(target, ast.Name) and target.id == 'name':
                        try:
                            name = evaluate(statement.value, {})
                        except Unresolved:
                            pass
                    if isinstance(target, ast.Name) and target.id == '_JB_STRING':
                        template = evaluate(statement.value, {})
                if (
                    isinstance(statement, ast.Call)
                    and isinstance(statement.func, ast.Attribute)
                    and statement.func.attr == '__init__'
                    and statement.args
                    and isinstance(statement.args[0], ast.Constant)
                    and isinstance(statement.args[0].value, str)
                ):
                    template = statement.args[0].value
            if name is None or template is None or '{goal}' not in template:
                continue
            fields = {part.split('}')[0] for part in template.split('{')[1:]}
            if fields <= {'goal', 'user', 'model'}:
                out[name] = template
    return out


def main():
    root = Path(sys.argv[1]) / 'agentdojo'
    goals, prompts, skipped = {}, {}, 0
    for suite in SUITES:
        suite_dir = root / 'default_suites' / 'v1' / suite
        goals[suite], a = class_strings(suite_dir / 'injection_tasks.py', 'GOAL')
        prompts[suite], b = class_strings(suite_dir / 'user_tasks.py', 'PROMPT')
        skipped += a + b
    print(f'[agentdojo] {skipped} goals or prompts built by code at run time, skipped', file=sys.stderr)
    json.dump({'goals': goals, 'prompts': prompts, 'attacks': attack_strings(root / 'attacks')}, sys.stdout)


if __name__ == '__main__':
    main()
