"""Reference embeddings for test/rag/embedder.test.ts, computed independently of Guardstream's
TypeScript code: Hugging Face's Rust `tokenizers` and Python `onnxruntime` on the same pinned
model files, mean pooling over the attention mask, L2 normalisation.

    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install onnxruntime==1.20.1 tokenizers==0.21.0 numpy
    /tmp/ref/bin/python scripts/reference-embedding.py .guardstream/models/all-minilm-l6-v2-q \
        > test/fixtures/minilm-reference.json
"""
import json
import sys

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

SENTENCES = [
    "Guardstream keeps company data out of the wrong answers.",
    "The quick brown fox jumps over the lazy dog.",
]

model_dir = sys.argv[1]
tokenizer = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
# One text per run, unpadded: the int8 model quantises activations per tensor, so padding and
# batch neighbours shift the numbers slightly; the reference is the text on its own.
tokenizer.no_padding()
session = ort.InferenceSession(f"{model_dir}/model.onnx", providers=["CPUExecutionProvider"])
names = [i.name for i in session.get_inputs()]
out = []
for sentence in SENTENCES:
    enc = tokenizer.encode(sentence)
    feeds = {
        "input_ids": np.array([enc.ids], dtype=np.int64),
        "attention_mask": np.array([enc.attention_mask], dtype=np.int64),
        "token_type_ids": np.array([enc.type_ids], dtype=np.int64),
    }
    hidden = session.run(None, {k: v for k, v in feeds.items() if k in names})[0][0]
    mask = np.array(enc.attention_mask, dtype=np.float32)[:, None]
    pooled = (hidden * mask).sum(axis=0) / mask.sum()
    vector = pooled / np.linalg.norm(pooled)
    out.append({"text": sentence, "ids": enc.ids, "vector": [round(float(x), 6) for x in vector]})
json.dump({"model": "all-minilm-l6-v2-q", "method": __doc__.split("\n\n")[0], "sentences": out}, sys.stdout)
sys.stdout.write("\n")
