import { describe, expect, it } from "vitest";
import { ProgressEvent } from "../../src/shared/contract/index.js";
import { parseBuildLine } from "../../src/hive/llama-build.js";

const LABEL = "llama.cpp v0.4.0 (cpu)";

describe("the build's progress", () => {
  it("turns cmake's [ NN%] lines into build progress with a fraction", () => {
    const lines = [
      "[  0%] Building C object ggml/src/CMakeFiles/ggml-base.dir/ggml.c.o",
      "[  7%] Building CXX object ggml/src/CMakeFiles/ggml-base.dir/ggml-backend.cpp.o",
      "[ 45%] Linking CXX shared library ../../bin/libggml-base.so",
      "[ 60%] Built target ggml-cpu",
      "[ 98%] Linking CXX executable ../../bin/llama-server",
      "[100%] Built target llama-server",
    ];
    const events = lines.map((line) => parseBuildLine(line, LABEL));
    for (const event of events) ProgressEvent.parse(event);
    expect(events.map((event) => [event?.message, event?.fraction])).toEqual([
      [`building ${LABEL}: 0% compiling ggml.c`, 0],
      [`building ${LABEL}: 7% compiling ggml-backend.cpp`, 0.07],
      [`building ${LABEL}: 45% linking libggml-base.so`, 0.45],
      [`building ${LABEL}: 60% built ggml-cpu`, 0.6],
      [`building ${LABEL}: 98% linking llama-server`, 0.98],
      [`building ${LABEL}: 100% built llama-server`, 1],
    ]);
    expect(events.every((event) => event?.stage === "build")).toBe(true);
  });

  it("passes the script's own lines on without a fraction and ignores the rest", () => {
    expect(parseBuildLine("build-llama: llama.cpp v0.4.0 (cpu) from node-llama-cpp's source, 2 jobs", LABEL)).toEqual({
      type: "progress",
      stage: "build",
      message: "llama.cpp v0.4.0 (cpu) from node-llama-cpp's source, 2 jobs",
    });
    expect(parseBuildLine("/work/src/ggml.c:12:3: warning: unused variable 'x'", LABEL)).toBeUndefined();
    expect(parseBuildLine("", LABEL)).toBeUndefined();
    // A percentage beyond 100 (never printed by cmake) still gives a valid fraction.
    expect(parseBuildLine("[999%] Built target x", LABEL)?.fraction).toBe(1);
  });
});
