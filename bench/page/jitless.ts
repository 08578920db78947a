// Imported first by probes.ts: zod decides at schema construction whether to compile parsers with
// `new Function`, which the page's CSP (no 'unsafe-eval') refuses to code DevTools evaluated, even
// though zod's own eval probe passes there. The renderer itself runs without compiled parsers too.
import { config } from "zod";

config({ jitless: true });
