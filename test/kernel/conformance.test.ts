// Every version of every kernel family (src/kernels/families.ts) against its CPU reference at the family's small
// odd shapes, llm.c-style: each at its default knobs, and at each other allowed value of one knob at a time.
// A version the test device cannot run (the matrix units on SwiftShader) is skipped there, saying why, and is
// prepared instead on Dawn's null backend, which validates every shader and pipeline and runs nothing.
import { describe, expect, it } from 'vitest';
import { families } from '../../src/kernels/families';
import { knobsOf, type KernelVersion, type Knobs } from '../../src/kernels/family';
import { Random } from '../../src/kernels/gpu/random';
import { familyDeviceOf, prepareChecked, Resources } from '../../src/labs/harness';
import { compileOnlyGpu, labContext, testGpu, withScopes } from './device';

const gpu = await testGpu();
const compileOnly = await compileOnlyGpu();

/** The default knobs, then each knob moved to each of its other values alone. */
function knobSettings(version: KernelVersion): Knobs[] {
  const defaults = knobsOf(version);
  const moved = Object.entries(version.knobs).flatMap(([name, values]) => values.slice(1).map((value) => ({ ...defaults, [name]: value })));
  return [defaults, ...moved];
}

const knobText = (knobs: Knobs) => Object.entries(knobs).map(([name, value]) => `${name}=${value}`).join(' ');

describe.skipIf(!gpu)('every kernel family against its reference', () => {
  const device = gpu ? familyDeviceOf(gpu) : null;
  for (const family of Object.values(families)) {
    for (const version of family.versions) {
      for (const knobs of knobSettings(version)) {
        family.examples.forEach((shape, i) => {
          const refusal = family.refusal(device!, shape, version, knobs);
          it.skipIf(refusal !== null)(`${family.id} ${version.name} ${knobText(knobs)} at ${JSON.stringify(shape)}${refusal ? ` (refused: ${refusal})` : ''}`, async () => {
            await withScopes(gpu!.device, async () => {
              const checked = await prepareChecked(labContext(gpu!), 'conformance', family, shape, version, knobs, { seed: 101 + i, what: `${family.id} ${version.name}` });
              try {
                expect(checked.check.ok, `largest relative error ${checked.check.maxRelError}`).toBe(true);
              } finally {
                checked.destroy();
              }
            });
          });
        });
      }
    }
  }
});

describe.skipIf(!compileOnly)("what the test device cannot run, through Dawn's validation on its null backend", () => {
  const device = gpu ? familyDeviceOf(gpu) : null;
  const nullDevice = compileOnly ? familyDeviceOf(compileOnly) : null;
  for (const family of Object.values(families)) {
    for (const version of family.versions) {
      for (const knobs of knobSettings(version)) {
        const shape = family.examples.find((example) => family.refusal(nullDevice!, example, version, knobs) === null);
        const runsOnTestDevice = device !== null && family.examples.some((example) => family.refusal(device, example, version, knobs) === null);
        it.skipIf(shape === undefined || runsOnTestDevice)(`${family.id} ${version.name} ${knobText(knobs)} compiles and binds`, async () => {
          await withScopes(compileOnly!.device, async () => {
            const resources = new Resources({ gpu: compileOnly! }, 'compile');
            try {
              const inputs = family.inputs(shape, new Random(7), version);
              const buffers = family.buffers(resources, shape, inputs, version, knobs);
              resources.own(family.prepare(compileOnly!.device, shape, buffers, version, knobs));
            } finally {
              resources.destroy();
            }
          });
        });
      }
    }
  }
});
