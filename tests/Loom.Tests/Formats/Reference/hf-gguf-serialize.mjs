// Writes a GGUF header with Hugging Face's @huggingface/gguf serializer (an implementation independent of Loom).
import { serializeGgufMetadata } from "@huggingface/gguf";
import { writeFileSync } from "node:fs";
const T = { U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STR: 8, ARR: 9, U64: 10, I64: 11, F64: 12 };
const md = {
  version: { value: 3, type: T.U32 },
  tensor_count: { value: 0n, type: T.U64 },
  kv_count: { value: 15n, type: T.U64 },
  "general.architecture": { value: "gpt2", type: T.STR },
  "general.name": { value: "héllo wörld", type: T.STR },
  "u8": { value: 250, type: T.U8 },
  "i8": { value: -120, type: T.I8 },
  "u16": { value: 65000, type: T.U16 },
  "i16": { value: -32000, type: T.I16 },
  "u32": { value: 4000000000, type: T.U32 },
  "i32": { value: -2000000000, type: T.I32 },
  "f32": { value: 0.25, type: T.F32 },
  "bool": { value: true, type: T.BOOL },
  "u64": { value: 18446744073709551615n, type: T.U64 },
  "i64": { value: -9223372036854775808n, type: T.I64 },
  "f64": { value: 3.141592653589793, type: T.F64 },
  "tokens": { value: ["a", "b", "<|endoftext|>"], type: T.ARR, subType: T.STR },
  "scores": { value: [1.5, -2.5], type: T.ARR, subType: T.F32 },
};
writeFileSync(process.argv[2], serializeGgufMetadata(md, { alignment: 32 }));
