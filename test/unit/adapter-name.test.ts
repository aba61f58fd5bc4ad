// What a results file calls its device when the bench is not told: the adapter's own words where they name it.
import { describe, expect, it } from 'vitest';
import { adapterDriver, adapterName } from '../../src/kernels/gpu/adapter';

describe('adapter names', () => {
  it('uses a description that names the device, and the device id where the description is only the driver', () => {
    expect(adapterName({ vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader Device (Subzero)' })).toBe('SwiftShader Device (Subzero)');
    expect(adapterName({ vendor: 'nvidia', architecture: '', device: 'nvidia-h200', description: 'NVIDIA: 580.159.04 580.159.4.0' })).toBe('nvidia h200');
    expect(adapterDriver({ description: 'NVIDIA: 580.159.04 580.159.4.0' })).toBe('580.159.04');
    expect(adapterName({ vendor: 'apple', architecture: 'metal-3', device: '', description: '' })).toBe('apple metal-3');
    expect(adapterName({ vendor: '', architecture: '', device: '', description: '' })).toBe('an unnamed GPU');
  });
});
