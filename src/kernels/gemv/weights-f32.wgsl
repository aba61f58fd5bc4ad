// f32 weights for gemv.wgsl: one 16-byte word holds 4 consecutive outputs of a row of Wᵀ.
alias WeightWord = vec4f;

fn unpackWord(word: WeightWord) -> array<vec4f, VECS> {
  return array<vec4f, VECS>(word);
}
