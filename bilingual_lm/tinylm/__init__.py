"""A tiny Transformer language model trained from scratch on the bundled bilingual text.

In the spirit of nanoGPT, each idea has its own short file:

- `tokenizer`: a sentencepiece model trained on the zh + en sentences;
- `data`: the text as one token stream, and the next-token pairs (inputs, labels) cut from it;
- `model`: a Llama-style decoder from a transformers `LlamaConfig`, a million parameters or fewer;
- `train`: a seeded, single-threaded training loop on the CPU;
- `evaluate`: held-out loss and bits per character;
- `attention`: the attention maps of a trained model;
- `scaling`: training compute (6·N·D) and a power-law fit;
- `reference`: the notes' reference model, one recipe per profile, trained once and cached.
"""
