"""Reads two of BIG-bench's tasks out of its PyPI sdist (bigbench 1.0.0) as (context, answer,
grounded or not) pairs and prints them as one JSON object:

- vitaminc_fact_verification (VitaminC, Schuster et al. 2021): a Wikipedia sentence and a claim
  about it, labelled True (the sentence supports it), False (it refutes it) or Neither.
- contextual_parametric_knowledge_conflicts (Natural Questions with the answer entity swapped in
  the passage): the passage's answer, and the answer the world knows, which the passage no longer
  supports.

Usage: bigbench_grounding.py SDIST > grounding.json"""
import json
import re
import sys

# This folder is on the path when the script runs: bigbench.py reads the sdist for both.
from bigbench import task_files

VITAMINC = 'vitaminc_fact_verification'
CONFLICTS = 'contextual_parametric_knowledge_conflicts'
CLAIM = re.compile(r'^(.*?)\nClaim: (.*)$', re.S)
QUESTION = re.compile(r'^\s*Question: (.*?)\nContext: (.*)$', re.S)


def label_of(example):
    chosen = [name for name, score in example.get('target_scores', {}).items() if score == 1]
    return chosen[0] if len(chosen) == 1 else None


def main():
    vitaminc, conflicts = [], []
    for task, spec in task_files(sys.argv[1]):
        if task not in ([VITAMINC], [CONFLICTS]):
            continue
        for example in spec['examples']:
            if task == [VITAMINC]:
                match = CLAIM.match(example['input'])
                label = label_of(example)
                if match is None or label is None:
                    continue
                context = match.group(1).strip()
                vitaminc.append({
                    'page': context.split(':', 1)[0],
                    'context': context,
                    'claim': match.group(2).strip(),
                    'label': label,
                })
            else:
                match = QUESTION.match(example['input'])
                if match is None:
                    continue
                scores = example.get('target_scores', {})
                conflicts.append({
                    'question': match.group(1).strip(),
                    'context': match.group(2).strip(),
                    'answer': example['target'],
                    'others': [name for name, score in scores.items() if score == 0],
                })
    json.dump({'vitaminc': vitaminc, 'conflicts': conflicts}, sys.stdout)


if __name__ == '__main__':
    main()
