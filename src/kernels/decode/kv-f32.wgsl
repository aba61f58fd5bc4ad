// K and V in f32: a 16-byte unit is one vec4f (VEC4_PER_UNIT = 1).
alias KvUnit = vec4f;

fn unpackUnit(unit: vec4f) -> array<vec4f, 1> {
  return array(unit);
}
