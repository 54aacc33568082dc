// WebGPU device selection through Dawn: `gpu` needs a hardware adapter, `cpu` a software one (lavapipe),
// `auto` takes the best adapter present.
import { create, globals } from 'webgpu';
import { userError } from '../diagnostics/index.ts';

export type DevicePreference = 'gpu' | 'cpu' | 'auto';

export interface OpenedDevice {
  device: GPUDevice;
  description: string;
  software: boolean;
}

let gpuInstance: GPU | undefined;

function instance(): GPU {
  if (!gpuInstance) {
    Object.assign(globalThis, globals);
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
    gpuInstance = create([]) as GPU;
  }
  return gpuInstance;
}

function isSoftware(adapter: GPUAdapter): boolean {
  const info = adapter.info;
  const text = `${info.vendor} ${info.architecture} ${info.description}`.toLowerCase();
  return /llvmpipe|lavapipe|swiftshader|software/.test(text);
}

function describe(adapter: GPUAdapter): string {
  const info = adapter.info;
  return (info.description || `${info.vendor} ${info.architecture}`).trim();
}

/** Opens a device with the adapter's full storage limits; throws a RunError a user can act on. */
export async function openDevice(preference: DevicePreference = 'auto'): Promise<OpenedDevice> {
  const gpu = instance();
  let adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (preference === 'cpu' && adapter && !isSoftware(adapter)) {
    adapter = await gpu.requestAdapter({ forceFallbackAdapter: true });
  }
  if (!adapter) {
    throw userError('SEG6010', []);
  }
  const software = isSoftware(adapter);
  if (preference === 'gpu' && software) {
    throw userError('SEG6011', [describe(adapter)]);
  }
  if (preference === 'cpu' && !software) {
    throw userError('SEG6012', [describe(adapter)]);
  }
  const limits = adapter.limits;
  // Timestamp queries let bench/ time single kernels; subgroups are for later kernel kinds.
  const requiredFeatures = (['timestamp-query', 'subgroups'] as GPUFeatureName[]).filter((f) =>
    adapter.features.has(f),
  );
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
    },
  });
  device.addEventListener('uncapturederror', (event) => {
    const error = (event as GPUUncapturedErrorEvent).error;
    process.stderr.write(`segc: WebGPU error: ${error.message}\n`);
  });
  return { device, description: describe(adapter), software };
}
