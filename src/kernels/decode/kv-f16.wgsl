// K and V in f16, read as raw bits: a 16-byte unit holds 8 halves (VEC4_PER_UNIT = 2), widened to f32 with
// unpack2x16float, which is core WGSL: this path needs no `shader-f16`. Element 2i is the low half of word i.
alias KvUnit = vec4u;

// The unit's vec4s by position (for unrolled code), and as an array (for loops).
fn unitPart0(unit: vec4u) -> vec4f {
  return vec4f(unpack2x16float(unit.x), unpack2x16float(unit.y));
}

fn unitPart1(unit: vec4u) -> vec4f {
  return vec4f(unpack2x16float(unit.z), unpack2x16float(unit.w));
}

fn unpackUnit(unit: vec4u) -> array<vec4f, 2> {
  return array(unitPart0(unit), unitPart1(unit));
}
