/** The kernel's text compiled to WebAssembly by wabt (dev dependency): for the build script and its test. */
import wabtInit from 'wabt';
import { forestKernelWat } from '../models/forest-kernel.wat.ts';

export async function compileForestKernel(): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat('forest-kernel.wat', forestKernelWat());
  try {
    module.validate();
    return Uint8Array.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}
