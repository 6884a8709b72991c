import { describe, expect, it } from '@jest/globals';
import { machineSlug, type MachineInfo } from './machine.js';

const machine = (cpuModel: string, cores = 2): MachineInfo => ({
  cpuModel,
  cores,
  memoryBytes: 0,
  os: 'Linux',
  node: 'v24.0.0',
  loadAverage: 0,
});

describe('machineSlug', () => {
  it.each([
    ['AMD EPYC 7B13', 'amd-epyc-7b13'],
    ['Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz', 'intel-xeon-platinum-8375c'],
    ['AMD Ryzen 9 5950X 16-Core Processor', 'amd-ryzen-9-5950x'],
    ['Apple M2', 'apple-m2'],
  ])('names %s as %s', (model, slug) => {
    expect(machineSlug(machine(model))).toBe(`2-core-${slug}`);
  });

  it('falls back when the model has nothing usable', () => {
    expect(machineSlug(machine('(R)', 4))).toBe('4-core-cpu');
  });
});
