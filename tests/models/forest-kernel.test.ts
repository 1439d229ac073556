import { describe, expect, it } from 'vitest';
import { FOREST_KERNEL_WASM } from '../../models/forest-kernel.wasm.ts';
import { compileForestKernel } from '../../scripts/compile-forest-kernel.ts';

describe('the WebAssembly forest kernel', () => {
  it('is the committed binary of its generator (run `npm run build:kernel` after changing forest-kernel.wat.ts)', async () => {
    const fresh = Buffer.from(await compileForestKernel()).toString('base64');
    expect(fresh).toBe(FOREST_KERNEL_WASM);
  });
});
