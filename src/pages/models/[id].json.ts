// A model's op graph as JSON, in its default mode (one decode step of one sequence at a 4K context, f16; an encoder
// reads its full context): { model, config, mode, nodes, edges, totals }.
import type { APIRoute } from 'astro';
import { MODELS } from '../../data/models';
import { DEFAULT_MODE, opGraph } from '../../models/graph';
import type { ModelConfig } from '../../schemas/model';

export function getStaticPaths() {
  return MODELS.map((model) => ({ params: { id: model.id }, props: { model } }));
}

export const GET: APIRoute = ({ props }) => {
  const { model } = props as { model: ModelConfig };
  const mode = model.architecture === 'encoder' ? { ...DEFAULT_MODE, kind: 'prefill' as const, tokens: model.maxPositions } : DEFAULT_MODE;
  const graph = opGraph(model, mode);
  const nodes = graph.nodes.map(({ name, op, label, inputs, outputs, weightBytes, flops, bytes, perLayer }) => ({ name, op, label, inputs, outputs, weightBytes, flops, bytes, perLayer }));
  const edges = graph.edges.map(({ from, to, tensor }) => ({ from, to, tensor: tensor.name, shape: tensor.shape }));
  const { params, weightBytes, kvBytesPerToken, flopsPerToken } = graph.totals;
  const body = { model: graph.model, config: graph.config, mode: graph.mode, nodes, edges, totals: { params, weightBytes, kvBytesPerToken, flopsPerToken } };
  return new Response(JSON.stringify(body, null, 2), { headers: { 'Content-Type': 'application/json' } });
};
