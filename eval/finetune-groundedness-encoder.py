"""Fine-tunes the sentence embedder's transformer into a cross-encoder that says whether an answer
is supported by its context (the `groundedness` detector's `model: encoder`).

Run by `node --import tsx eval/train-groundedness-encoder.ts`, which writes the train and
validation pairs (eval/grounding-data.ts: VitaminC claims and knowledge-conflict answers, split
by page and question) and calls this file with the encoder venv. What it does:

1. Reads the pinned int8 all-MiniLM-L6-v2 ONNX file and rebuilds the transformer in JAX
   (eval/finetune-injection-encoder.py's code), reading a pair as BERT does: [CLS] answer [SEP]
   context [SEP], the context's word pieces with token type 1.
2. Keeps the bottom layers as they are and trains the top ones: a rank-8 update of each matrix
   (snapped to its int8 grid), their biases and layer norms, and one linear head on the mean of
   the token states (logit > 0: not supported).
3. Writes the parameters into the ONNX file's bytes, scores the validation pairs with ONNX
   Runtime exactly as the detector will, and sets the head's threshold at validation FPR <= 5%
   on grounded answers (the rule written before training).
4. Writes src/detectors/models/groundedness-encoder.json: the patch in the format of
   prompt-injection-encoder.json, with one head.
"""
import argparse
import base64
import hashlib
import importlib.util
import json
import os
import random
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

spec = importlib.util.spec_from_file_location(
    'injection_encoder', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'finetune-injection-encoder.py'))
base = importlib.util.module_from_spec(spec)
spec.loader.exec_module(base)

CLS, SEP = 101, 102
SEQUENCE = 128  # the model's window: [CLS] answer [SEP] context [SEP]
ANSWER = 48  # word pieces of the answer at most; the rest of the window is context
FPR_TARGET = 0.05
OPERATING_POINTS = (0.01, 0.02, 0.05, 0.1, 0.15, 0.2)
GROUNDED_SOURCES = ('vitaminc: supported', 'conflicts: passage answer')


def log(message):
    print(message, file=sys.stderr, flush=True)


def read_jsonl(path):
    with open(path, encoding='utf8') as handle:
        return [json.loads(line) for line in handle if line.strip()]


def context_windows(context_ids, room):
    """Windows of `room` word pieces over the context, overlapping by a quarter, as
    src/detectors/groundedness-encoder reads it."""
    if len(context_ids) <= room:
        return [context_ids]
    stride = max(1, room * 3 // 4)
    starts = list(range(0, len(context_ids) - room + 1, stride))
    if starts[-1] != len(context_ids) - room:
        starts.append(len(context_ids) - room)
    return [context_ids[s:s + room] for s in starts]


def pair_sequences(answer_ids, context_ids):
    """(ids, token types) of each window of the pair, the answer cut to ANSWER word pieces."""
    answer_ids = answer_ids[:ANSWER]
    room = SEQUENCE - 3 - len(answer_ids)
    out = []
    for window in context_windows(context_ids, room):
        ids = [CLS, *answer_ids, SEP, *window, SEP]
        types = [0] * (len(answer_ids) + 2) + [1] * (len(window) + 1)
        out.append((ids, types))
    return out


def training_pair(tokenizer, row):
    """The window of a training pair: the context's window holding the most answer words (a
    VitaminC sentence fits whole)."""
    answer_ids = tokenizer.encode(row['text'], add_special_tokens=False).ids
    context_ids = tokenizer.encode(' '.join(row['context']), add_special_tokens=False).ids
    sequences = pair_sequences(answer_ids, context_ids)
    if len(sequences) == 1:
        return sequences[0]
    wanted = set(answer_ids[:ANSWER])
    return max(sequences, key=lambda pair: len(wanted & set(pair[0][len(answer_ids[:ANSWER]) + 2:])))


def encode_pair(frozen, p, ids, types, mask, layers):
    length = ids.shape[1]
    x = frozen['word'][ids] + frozen['position'][:length][None] + frozen['type'][types]
    x = base.layer_norm(x, p['embeddings.LayerNorm.weight'], p['embeddings.LayerNorm.bias'])
    return base.run_layers(frozen, p, x, mask, layers)


def padded(sequences, indices, width):
    ids = np.zeros((len(indices), width), np.int32)
    types = np.zeros((len(indices), width), np.int32)
    mask = np.zeros((len(indices), width), np.int32)
    for row, index in enumerate(indices):
        sequence, kinds = sequences[index]
        ids[row, :len(sequence)] = sequence
        types[row, :len(sequence)] = kinds
        mask[row, :len(sequence)] = 1
    return jnp.asarray(ids), jnp.asarray(types), jnp.asarray(mask)


def width_of(length):
    return 32 if length <= 32 else 64 if length <= 64 else 96 if length <= 96 else 128


def train(frozen, trainable, quantised, sequences, labels, epochs, rng, top_layers, rank, seed):
    """The top `top_layers` layers: rank-`rank` updates of their matrices on the int8 grid, their
    biases and layer norms, and the head. The layers below are the base model's, so the states
    entering the first trained layer are computed once."""
    layers = list(range(base.LAYERS - top_layers, base.LAYERS))
    below = jax.jit(lambda ids, types, mask: encode_pair(frozen, trainable, ids, types, mask,
                                                         range(base.LAYERS - top_layers)))
    states, started = [None] * len(sequences), time.time()
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i][0]))
    chunks = [order[s:s + 64] for s in range(0, len(order), 64)]
    for count, indices in enumerate(chunks):
        width = width_of(max(len(sequences[i][0]) for i in indices))
        out = np.asarray(below(*padded(sequences, indices, width))).astype(np.float16)
        for row, index in enumerate(indices):
            states[index] = out[row, :len(sequences[index][0])]
        if count % 100 == 0:
            log(f'  states below layer {layers[0]}: batch {count}/{len(chunks)} ({time.time() - started:.0f} s)')
    key = jax.random.PRNGKey(seed)
    low_rank = {}
    for layer in layers:
        for name, _ in base.MATRICES:
            rows, columns = frozen[f'{layer}.{name}'].shape
            key, sub = jax.random.split(key)
            low_rank[f'{layer}.{name}'] = (jax.random.normal(sub, (rows, rank)) / np.sqrt(rows), jnp.zeros((rank, columns)))
    top = {k: v for k, v in trainable.items() if any(k.startswith(f'encoder.layer.{layer}.') for layer in layers)}
    params = {'top': top, 'low_rank': low_rank, 'weights': jnp.zeros((1, 384)), 'bias': jnp.zeros(1)}
    scales = {name: quantised[name][1] for name in low_rank}
    y_all = jnp.asarray(labels)

    def loss(params, x, mask, y):
        out = base.run_layers(frozen, params['top'], x, mask, layers, params['low_rank'], scales)
        m = mask[..., None].astype(jnp.float32)
        logits = (((out * m).sum(1) / m.sum(1)) @ params['weights'].T + params['bias'])[:, 0]
        yf = y.astype(jnp.float32)
        return (yf * jax.nn.softplus(-logits) + (1 - yf) * jax.nn.softplus(logits)).mean()

    gradient = jax.jit(jax.value_and_grad(loss))

    def plan():
        shuffled = list(range(len(sequences)))
        rng.shuffle(shuffled)
        chunks = []
        for low, width in ((0, 32), (32, 64), (64, 96), (96, 128)):
            bucket = [i for i in shuffled if low < len(states[i]) <= width]
            chunks += [(width, bucket[s:s + 32]) for s in range(0, len(bucket), 32)]
        rng.shuffle(chunks)
        return chunks

    def stream():
        for width, indices in plan():
            x = np.zeros((len(indices), width, 384), np.float32)
            mask = np.zeros((len(indices), width), np.int32)
            for row, index in enumerate(indices):
                x[row, :len(states[index])] = states[index]
                mask[row, :len(states[index])] = 1
            yield np.array(indices), jnp.asarray(x), jnp.asarray(mask)

    def step(params, batch):
        indices, x, mask = batch
        return gradient(params, x, mask, y_all[indices])

    total_steps = epochs * len(plan())
    params = base.adam_epochs(params, {'top': 3e-4, 'low_rank': 5e-4, 'weights': 1e-3, 'bias': 1e-3}, step,
                              stream, epochs, total_steps, f'top {top_layers} layers')
    encoder = {k: np.asarray(v) for k, v in params['top'].items()}
    low_rank = {k: (np.asarray(a), np.asarray(b)) for k, (a, b) in params['low_rank'].items()}
    return encoder, low_rank, np.asarray(params['weights']), np.asarray(params['bias'])


class PairScorer:
    """Scores an (answer, context) pair as the detector does: each context window with the
    answer, the lowest logit (the window that supports the answer best)."""

    def __init__(self, model_bytes, tokenizer, weights, bias):
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(model_bytes, options, providers=['CPUExecutionProvider'])
        self.tokenizer, self.weights, self.bias = tokenizer, weights, bias

    def __call__(self, answer, context):
        answer_ids = self.tokenizer.encode(answer, add_special_tokens=False).ids
        context_ids = self.tokenizer.encode(context, add_special_tokens=False).ids
        best = np.inf
        for ids, types in pair_sequences(answer_ids, context_ids):
            sequence = np.array([ids], dtype=np.int64)
            states = self.session.run(None, {'input_ids': sequence, 'attention_mask': np.ones_like(sequence),
                                             'token_type_ids': np.array([types], dtype=np.int64)})[0][0]
            best = min(best, float(states.mean(0) @ self.weights[0] + self.bias[0]))
        return best


# Scored by the test suite too: the TypeScript detector must give the logits this file gives.
REFERENCE_PAIRS = [
    ('Westlife made under 23.5 million sales in the UK.',
     'Westlife: According to the British Phonographic Industry (BPI), Westlife has been certified for 13 million '
     'albums and 9.8 million singles, with a total of more than 24 million combined sales in the UK.'),
    ('The Zurich office opens at 8:00.', 'The Zurich office opens at 8:00 and closes at 17:30.'),
    ('Jeremy Johnson', 'Candace also has an obvious crush on Griselda Blanco, but she was oblivious to the fact.'),
    ('The committee approved the budget.',
     ' '.join(['The committee reviewed the quarterly figures and approved the budget.'] * 30)),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--model-dir', required=True)
    parser.add_argument('--sets-dir', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--epochs', type=int, default=2)
    parser.add_argument('--top-layers', type=int, default=4)
    parser.add_argument('--rank', type=int, default=8)
    parser.add_argument('--max-train', type=int, default=0, help='at most this many training pairs (0: all)')
    parser.add_argument('--seed', type=int, default=20261127)
    parser.add_argument('--smoke', action='store_true')
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tokenizer = Tokenizer.from_file(f'{args.model_dir}/tokenizer.json')
    tokenizer.no_padding()
    tokenizer.no_truncation()
    train_rows = read_jsonl(f'{args.sets_dir}/grounding-train.jsonl')
    validation = read_jsonl(f'{args.sets_dir}/grounding-validation.jsonl')
    rng.shuffle(train_rows)
    if args.max_train:
        train_rows = train_rows[:args.max_train]
    if args.smoke:
        train_rows, validation = train_rows[:300], validation[:100]
    sequences = [training_pair(tokenizer, row) for row in train_rows]
    labels = np.array([row['label'] for row in train_rows], dtype=np.int32)
    log(f'{len(sequences)} training pairs ({int(labels.sum())} not supported)')

    model_path = f'{args.model_dir}/model.onnx'
    model_bytes = open(model_path, 'rb').read()
    frozen, trainable, quantised = base.load_weights(model_path)
    started = time.time()
    encoder, low_rank, weights, bias = train(frozen, trainable, quantised, sequences, labels, args.epochs, rng,
                                             args.top_layers, args.rank, args.seed)
    trained_minutes = (time.time() - started) / 60
    np.savez(f'{args.out}.params.npz', weights=weights, bias=bias, **{f'encoder/{k}': v for k, v in encoder.items()},
             **{f'low_rank/{k}/{part}': v for k, pair in low_rank.items() for part, v in zip('ab', pair)})
    patched, tensors = base.patch_bytes(model_bytes, encoder)
    patched = bytearray(patched)
    updates = base.merge_low_rank(model_bytes, patched, low_rank, quantised)
    patched = bytes(patched)

    scorer = PairScorer(patched, tokenizer, weights, bias)
    started = time.time()
    scores = []
    for index, row in enumerate(validation):
        scores.append(scorer(row['text'], ' '.join(row['context'])))
        if (index + 1) % 1000 == 0:
            log(f'  validation {index + 1}/{len(validation)} ({time.time() - started:.0f} s)')
    scores = np.array(scores)
    labels = np.array([row['label'] for row in validation])
    sources = np.array([row['source'] for row in validation])
    grounded = labels == 0
    ordered = np.sort(scores[grounded])[::-1]
    threshold = float(ordered[int(np.floor(FPR_TARGET * len(ordered)))] + 1e-6)
    flagged = scores > threshold
    # Area under the ROC curve: the chance an ungrounded answer outscores a grounded one.
    ranks = scores.argsort().argsort() + 1
    positives = (~grounded).sum()
    auc = float((ranks[~grounded].sum() - positives * (positives + 1) / 2) / (positives * grounded.sum()))
    points = []
    for target in OPERATING_POINTS:
        at = float(ordered[int(np.floor(target * len(ordered)))] + 1e-6)
        hit = scores > at
        points.append({'fpr_target': target, 'policy_threshold': float(1 / (1 + np.exp(threshold - at))),
                       'tpr': float(hit[~grounded].mean()), 'fpr': float(hit[grounded].mean()),
                       'by_source': {s: float(hit[sources == s].mean()) for s in sorted(set(sources))}})
    validation_metrics = {
        'threshold_logit': threshold, 'auc': auc,
        'tpr': float(flagged[~grounded].mean()), 'fpr': float(flagged[grounded].mean()),
        'by_source': {s: {'n': int((sources == s).sum()), 'flagged': float(flagged[sources == s].mean())}
                      for s in sorted(set(sources))},
        'operating_points': points,
    }
    log(f'validation: AUC {auc:.3f}; at FPR {validation_metrics["fpr"]:.3f} TPR {validation_metrics["tpr"]:.3f}')
    for s, figures in validation_metrics['by_source'].items():
        log(f'  {s}: {figures["flagged"]:.3f} of {figures["n"]}')

    references = []
    for answer, context in REFERENCE_PAIRS:
        references.append({'answer': answer, 'context': context, 'logit': scorer(answer, context) - threshold})
    patch = {
        'name': 'groundedness-encoder',
        'base': {'model': 'all-minilm-l6-v2-q', 'file': 'model.onnx', 'sha256': hashlib.sha256(model_bytes).hexdigest()},
        'sequence': SEQUENCE,
        'answer': ANSWER,
        'tensors': tensors,
        'lowRank': updates,
        # The threshold is folded into the bias: logit > 0 is "not supported" at the chosen point.
        'heads': {'ungrounded': {'weights': base64.b64encode(np.asarray(weights[0], dtype='<f4').tobytes()).decode(),
                                 'bias': float(bias[0] - threshold)}},
        'provenance': {
            'trainer': 'eval/finetune-groundedness-encoder.py (rank-%d updates of the top %d layers of all-MiniLM-L6-v2 '
                       'read as a cross-encoder, their biases and layer norms, one head)' % (args.rank, args.top_layers),
            'sources': 'the train split of eval/grounding-data.ts: BIG-bench 1.0.0 (PyPI sdist, sha256 1bb398a5...) '
                       'vitaminc_fact_verification and contextual_parametric_knowledge_conflicts, split by page and question',
            'seed': args.seed, 'epochs': args.epochs, 'pairs': len(sequences), 'trained_minutes': round(trained_minutes, 1),
            'packages': {'jax': jax.__version__, 'onnxruntime': ort.__version__},
            'threshold_rule': f'validation FPR <= {FPR_TARGET} on grounded answers ({", ".join(GROUNDED_SOURCES)})',
            'validation': validation_metrics,
            'references': references,
        },
    }
    with open(args.out, 'w', encoding='utf8') as handle:
        json.dump(patch, handle)
        handle.write('\n')
    log(f'wrote {args.out}')


if __name__ == '__main__':
    main()
