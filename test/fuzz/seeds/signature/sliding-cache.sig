genc-signature 14
input input_ids i64 ?,? batch,sequence
input past.key f32 ?,2,?,4 batch,-,-,-
input past.value f32 ?,2,?,4 batch,-,-,-
input genc.past_length i64 - -
input genc.window_shift.16.2 i64 - -
output logits f32 3 ?,?,16
cache past.key genc.window_shift.16.2 16 2
cache past.value genc.window_shift.16.2 16 2
session
genc-version 0.1.0
weights 0 1 60df940cedbecdfa 3fdf455f9dcf1e62
