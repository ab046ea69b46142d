"""Writes src/detectors/models/gitleaks-rules.json: the rules of gitleaks' default configuration
that the `secrets` detector runs beside its own patterns (docs/detectors/secrets.md).

    python3 scripts/import-gitleaks.py        (Python 3.11 or newer: tomllib)

Downloads gitleaks' Go module zip from the Go module proxy, checks it against the pinned sha256,
reads config/gitleaks.toml out of it and keeps every rule that has a regular expression and no
file-path condition (this detector sees text, not files), except `generic-api-key`: the
detector's own generic rules cover that class and are measured. Nothing else is changed: the
expressions are Go RE2 syntax and the detector compiles them with RE2.
"""
import hashlib
import io
import json
import tomllib
import urllib.request
import zipfile
from pathlib import Path

VERSION = 'v8.30.1'
SHA256 = '4fd70631c0f6159e38fdb99ad126e3ba60d4212420062029d3dc5f510f6f2961'
MODULE = 'github.com/zricethezav/gitleaks/v8'
URL = f'https://proxy.golang.org/{MODULE}/@v/{VERSION}.zip'
LEFT_OUT = {'generic-api-key': 'the detector’s own credential_assignment and high_entropy_string cover it'}


def allowlist(entry):
    """The parts of an allowlist that apply to text without a path."""
    if entry.get('paths') and entry.get('condition', 'OR').upper() == 'AND':
        return None
    kept = {
        'regexes': entry.get('regexes', []),
        'regexTarget': entry.get('regexTarget', 'secret'),
        'stopwords': entry.get('stopwords', []),
    }
    return kept if kept['regexes'] or kept['stopwords'] else None


def main():
    data = urllib.request.urlopen(URL, timeout=120).read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        raise SystemExit(f'{URL} has sha256 {digest}, expected {SHA256}')
    archive = zipfile.ZipFile(io.BytesIO(data))
    prefix = f'{MODULE}@{VERSION}/'
    config = tomllib.loads(archive.read(prefix + 'config/gitleaks.toml').decode())
    licence = archive.read(prefix + 'LICENSE').decode()
    rules, skipped = [], {}
    for rule in config['rules']:
        if rule['id'] in LEFT_OUT:
            skipped[rule['id']] = LEFT_OUT[rule['id']]
        elif 'regex' not in rule:
            skipped[rule['id']] = 'no regular expression (a file-name rule)'
        elif 'path' in rule:
            skipped[rule['id']] = 'a file-path condition'
        else:
            rules.append({
                'id': rule['id'],
                'description': rule['description'],
                'regex': rule['regex'],
                'keywords': [keyword.lower() for keyword in rule.get('keywords', [])],
                **({'entropy': rule['entropy']} if 'entropy' in rule else {}),
                **({'secretGroup': rule['secretGroup']} if 'secretGroup' in rule else {}),
                'allowlists': [a for a in map(allowlist, rule.get('allowlists', [])) if a],
            })
    glob = config['allowlist']
    out = {
        'provenance': {
            'source': f'{MODULE} {VERSION}, config/gitleaks.toml',
            'url': URL,
            'sha256': SHA256,
            'licence': 'MIT',
            'copyright': licence.splitlines()[2].strip(),
            'rules': len(rules),
            'skipped': skipped,
            'written_by': 'scripts/import-gitleaks.py',
        },
        'allowlist': {'regexes': glob.get('regexes', []), 'stopwords': glob.get('stopwords', [])},
        'rules': rules,
    }
    path = Path(__file__).resolve().parent.parent / 'src' / 'detectors' / 'models' / 'gitleaks-rules.json'
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + '\n')
    print(f'wrote {path}: {len(rules)} rules, {len(skipped)} skipped')


if __name__ == '__main__':
    main()
