// Runs a sightglass program on Node.js (V8) for the benchmark harness
// (node.go): the module's bytes arrive on descriptor 4, the program's
// arguments on the command line; the report goes to descriptor 3 as
// JSON: milliseconds since the process started at which compiling ended
// and bench.start and bench.end were called, and the exit code; the
// harness asks for the report by setting SIGHTGLASS_NODE_REPORT. Run as a
// command (the harness's -cli mode) it reports nothing; its exit status
// is the program's.
import { readFileSync, writeSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { performance } from 'node:perf_hooks';

const bin = readFileSync(4);
const mod = await WebAssembly.compile(bin);
const compiled = performance.now();
const wasi = new WASI({
  version: 'preview1',
  args: process.argv.slice(1),
  env: {},
  preopens: { '.': '.' },
  returnOnExit: true,
});
let start = -1, end = -1, starts = 0, ends = 0;
const bench = {
  start() { start = performance.now(); starts++; },
  end() { end = performance.now(); ends++; },
};
const inst = await WebAssembly.instantiate(mod, { ...wasi.getImportObject(), bench });
const code = wasi.start(inst);
if (process.env.SIGHTGLASS_NODE_REPORT) {
  writeSync(3, JSON.stringify({ compiled, start, end, starts, ends, code }) + '\n');
}
process.exitCode = code;
