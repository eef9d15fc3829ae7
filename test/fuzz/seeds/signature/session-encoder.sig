genc-signature 14
input input_ids i64 ?,? batch,sequence
input past f32 1,2,8,4 -,-,-,-
input genc.past_length i64 - -
output logits f32 3 ?,?,16
cache past
session
source-positions 16 /pos/Gather
positions-from-mask
genc-version 0.1.0
weights 0 1 60df940cedbecdfa 3fdf455f9dcf1e62
entry encoder
input input_ids i64 ?,? batch,encoder_sequence
output hidden f32 3 ?,?,8
