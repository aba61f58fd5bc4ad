// f16 weights for gemv.wgsl: one 16-byte word holds 8 consecutive outputs of a row of Wᵀ as IEEE binary16
// pairs, widened to f32 with unpack2x16float (core WGSL, so no `shader-f16` is needed); sums stay in f32.
alias WeightWord = vec4u;

fn unpackWord(word: WeightWord) -> array<vec4f, VECS> {
  return array<vec4f, VECS>(
    vec4f(unpack2x16float(word.x), unpack2x16float(word.y)),
    vec4f(unpack2x16float(word.z), unpack2x16float(word.w)),
  );
}
