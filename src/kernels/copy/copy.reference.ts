// The copy on the CPU: the destination equals the source, word for word.

/** Indices where `destination` differs from `source`, at most `limit` of them (an empty list: every element copied). */
export function copyMismatches(source: Uint32Array, destination: Uint32Array, limit = 5): number[] {
  const wrong: number[] = [];
  for (let i = 0; i < source.length && wrong.length < limit; i++) {
    if (source[i] !== destination[i]) wrong.push(i);
  }
  return wrong;
}
