// The split pass's buffers, in both of its versions (decode.wgsl, decode-subgroup.ts); KvUnit comes from kv-*.wgsl.
// q: (batch, queryHeads, d) f32; query head kvHead·GROUP + h reads KV head kvHead
@group(0) @binding(1) var<storage, read> q: array<vec4f>;
// k, v: (batch, kvHeads, seqLen, d) as 16-byte KvUnits, UNITS per row
@group(0) @binding(2) var<storage, read> k: array<KvUnit>;
@group(0) @binding(3) var<storage, read> v: array<KvUnit>;
// partialOut: (batch, queryHeads, splits, d) f32, Σ exp2(score − max)·V over the split's rows
@group(0) @binding(4) var<storage, read_write> partialOut: array<vec4f>;
// partialStats: (batch, queryHeads, splits) of (max score in log2 units, Σ exp2(score − max))
@group(0) @binding(5) var<storage, read_write> partialStats: array<vec2f>;
