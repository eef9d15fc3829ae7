genc-signature 14
input input_ids i64 ?,? batch,sequence
input past.key f32 ?,2,?,4 batch,-,-,-
input past.value f32 ?,2,?,4 batch,-,-,-
input genc.past_length i64 - -
output logits f32 3 ?,?,16
cache past.key
cache past.value
session
whole-calls
keys-by-index sinks /blocks.0/attn/MatMul_1
state 0 162 0
state 1 0 6
genc-version 0.1.0
weights 0 1 60df940cedbecdfa 3fdf455f9dcf1e62