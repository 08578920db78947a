/**
 * The thread count a CPU worker uses when `--threads` is not given: never more than the machine's
 * physical math cores (llama.cpp's own count), and one core fewer so that the hive, sshd and the
 * queen keep room to run (threads beyond the free cores make every one of them wait).
 */
export function defaultCpuThreads(cpuMathCores: number): number {
  return Math.max(1, Math.floor(cpuMathCores) - 1);
}
