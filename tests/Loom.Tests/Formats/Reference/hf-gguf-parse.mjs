// Prints how Hugging Face's @huggingface/gguf (an implementation independent of Loom) parses a GGUF file.
import { gguf } from "@huggingface/gguf";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
const path = process.argv[2];
const r = await gguf(path, { allowLocalFile: true, typedMetadata: true });
const out = {
  sha256: createHash("sha256").update(readFileSync(path)).digest("hex"),
  tensorDataOffset: r.tensorDataOffset,
  metadata: r.typedMetadata,
  tensors: r.tensorInfos,
};
// bigints as decimal strings
console.log(JSON.stringify(out, (k, v) => typeof v === "bigint" ? v.toString() : v, 1));
