// K and V in f32: a 16-byte unit is one vec4f (VEC4_PER_UNIT = 1).
alias KvUnit = vec4f;

// The unit's vec4s by position (for unrolled code), and as an array (for loops).
fn unitPart0(unit: vec4f) -> vec4f {
  return unit;
}

fn unpackUnit(unit: vec4f) -> array<vec4f, 1> {
  return array(unit);
}
